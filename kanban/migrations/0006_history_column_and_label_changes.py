from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kanban", "0005_board_activity"),
    ]

    operations = [
        migrations.RenameField(model_name="historyentry", old_name="card_id", new_name="object_id"),
        migrations.AddField(
            model_name="historyentry",
            name="subject",
            field=models.CharField(
                choices=[("card", "Card"), ("column", "Column"), ("label", "Label")], default="card", max_length=10
            ),
        ),
    ]
