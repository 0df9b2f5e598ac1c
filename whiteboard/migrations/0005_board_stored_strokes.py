from django.db import migrations, models
from django.db.models import Count


def count_existing_strokes(apps, schema_editor):
    """Boards drawn on before the counter start from the strokes they already hold."""
    Board = apps.get_model("whiteboard", "Board")
    for board in Board.objects.annotate(strokes_held=Count("strokes")).filter(strokes_held__gt=0).iterator():
        Board.objects.filter(pk=board.pk).update(stored_strokes=board.strokes_held)


class Migration(migrations.Migration):

    dependencies = [
        ("whiteboard", "0004_stroke_points_packed"),
    ]

    operations = [
        migrations.AddField(
            model_name="board",
            name="stored_strokes",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Strokes stored on the board, erased ones included: what WHITEBOARD_MAX_STROKES limits. "
                "Counted as they are stored, under the board's row lock, so checking the limit costs nothing "
                "however large the board is.",
            ),
        ),
        migrations.RunPython(count_existing_strokes, migrations.RunPython.noop),
    ]
