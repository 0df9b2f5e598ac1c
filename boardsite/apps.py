from django.apps import AppConfig
from django.core import checks


class BoardsiteConfig(AppConfig):
    name = "boardsite"

    def ready(self):
        from boardsite.collab import signals
        from boardsite.secret_key import check_secret_key

        signals.connect()
        checks.register(check_secret_key, checks.Tags.security, deploy=True)
