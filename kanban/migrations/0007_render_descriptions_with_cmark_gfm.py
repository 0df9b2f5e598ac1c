"""
Render every saved card description again with the renderer that replaced
Python-Markdown (cmark-gfm): stored HTML is what clients show, so existing
cards get strikethrough, autolinks, task lists and the other GitHub-flavoured
rules at once, not at their next edit. Rendering uses the current renderer
(kanban.descriptions) on purpose: it is the HTML a save would store today.
"""

from django.db import migrations

BATCH = 500


def render_again(apps, schema_editor):
    from kanban.descriptions import render_descriptions

    Card = apps.get_model("kanban", "Card")
    # Ids first, then a batch at a time: no write to the table while a query on it is still being read.
    ids = list(Card.objects.exclude(description="").order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        cards = list(Card.objects.filter(pk__in=ids[start : start + BATCH]).only("pk", "description"))
        rendered = render_descriptions(card.description for card in cards)
        for card in cards:
            card.description_html = rendered[card.description]
        Card.objects.bulk_update(cards, ["description_html"])


class Migration(migrations.Migration):
    dependencies = [
        ("kanban", "0006_history_column_and_label_changes"),
    ]

    operations = [
        # Going back keeps the new HTML: the older code shows it as it is.
        migrations.RunPython(render_again, migrations.RunPython.noop, elidable=True),
    ]
