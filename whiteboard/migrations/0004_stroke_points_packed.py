import json

from django.db import migrations, models

from whiteboard.points import packed

BATCH = 500


def pack_existing_strokes(apps, schema_editor):
    """Strokes drawn before the packed column get it from their JSON points, a batch at a time."""
    Stroke = apps.get_model("whiteboard", "Stroke")
    batch = []
    for stroke in Stroke.objects.only("pk", "points_json").iterator(chunk_size=BATCH):
        stroke.points_packed = packed(json.loads(stroke.points_json))
        batch.append(stroke)
        if len(batch) == BATCH:
            Stroke.objects.bulk_update(batch, ["points_packed"])
            batch = []
    Stroke.objects.bulk_update(batch, ["points_packed"])


class Migration(migrations.Migration):

    dependencies = [
        ("whiteboard", "0003_history_restore_step"),
    ]

    operations = [
        migrations.AddField(
            model_name="stroke",
            name="points_packed",
            field=models.TextField(
                default="",
                help_text="The same points packed for the snapshot (whiteboard.points): kept in step with points_json.",
            ),
        ),
        migrations.RunPython(pack_existing_strokes, migrations.RunPython.noop),
    ]
