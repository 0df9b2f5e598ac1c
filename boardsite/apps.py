from django.apps import AppConfig


class BoardsiteConfig(AppConfig):
    name = "boardsite"

    def ready(self):
        # Registers the deploy check on SECRET_KEY.
        from boardsite import secret_key  # noqa: F401
