"""TextEdit becomes ElementEdit: resizes, rotations and reorders are recorded as rewrites too. Rows are kept."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("whiteboard", "0010_images"),
    ]

    operations = [
        migrations.RenameModel("TextEdit", "ElementEdit"),
        migrations.RemoveConstraint(model_name="elementedit", name="whiteboard_textedit_unique_id"),
        migrations.AddConstraint(
            model_name="elementedit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("client_id", ""), _negated=True),
                fields=("board", "client_id"),
                name="whiteboard_elementedit_unique_id",
            ),
        ),
        migrations.RenameIndex(
            model_name="elementedit", new_name="whiteboard_elementedit_seq", old_name="whiteboard_textedit_seq"
        ),
        migrations.AlterField(
            model_name="elementedit",
            name="board",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="element_edits", to="whiteboard.board"
            ),
        ),
        migrations.AlterField(
            model_name="elementedit",
            name="client_id",
            field=models.CharField(
                blank=True, max_length=40,
                help_text="The id the client gave its change (on the first row of it); blank when the server rewrote.",
            ),
        ),
        migrations.AlterField(
            model_name="elementedit",
            name="stroke_id",
            field=models.CharField(help_text="The client id of the element.", max_length=40),
        ),
        migrations.AlterField(
            model_name="elementedit",
            name="before",
            field=models.JSONField(
                help_text="{color, props, points} before the rewrite (points as drawn, without the offset)."
            ),
        ),
        migrations.AlterField(
            model_name="stroke",
            name="version",
            field=models.PositiveIntegerField(
                default=0, editable=False,
                help_text="How many times the element has been rewritten (its text edited, resized, rotated, put in "
                "front or behind): a text's edit names the version it changes, so two people cannot overwrite each "
                "other unseen.",
            ),
        ),
    ]
