from django.conf import settings
from django.db import migrations, models


def assignee_to_assignees(apps, schema_editor):
    """Each card's one assignee becomes its first of several."""
    Card = apps.get_model("kanban", "Card")
    Through = Card.assignees.through
    Through.objects.bulk_create(
        Through(card_id=card_id, user_id=user_id)
        for card_id, user_id in Card.objects.exclude(assignee=None).values_list("pk", "assignee_id").iterator()
    )


def assignees_to_assignee(apps, schema_editor):
    """Back: the first assignee (by name) stays."""
    Card = apps.get_model("kanban", "Card")
    for card in Card.objects.prefetch_related("assignees"):
        first = sorted(card.assignees.all(), key=lambda user: user.username)[:1]
        if first:
            Card.objects.filter(pk=card.pk).update(assignee=first[0])


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("kanban", "0012_card_transfer"),
    ]

    operations = [
        migrations.AddField(
            model_name="card",
            name="assignees",
            field=models.ManyToManyField(blank=True, related_name="assigned_kanban_cards", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(assignee_to_assignees, assignees_to_assignee),
        migrations.RemoveField(model_name="card", name="assignee"),
    ]
