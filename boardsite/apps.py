from django.apps import AppConfig


class BoardsiteConfig(AppConfig):
    name = "boardsite"

    def ready(self):
        from boardsite.collab import signals

        signals.connect()
