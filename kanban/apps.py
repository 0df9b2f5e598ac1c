from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "kanban"
    verbose_name = "Kanban boards"
