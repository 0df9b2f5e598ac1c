"""
Settings of the tutorial-style baseline: no database, only the channel layer,
built by the project's own `channel_layers_config` (in-memory, or
channels-redis when REDIS_URL is set) so both run on the same layer.
"""

import os

from boardsite.channel_layers import channel_layers_config

SECRET_KEY = "bench-tutorial-baseline"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
DATABASES = {}
USE_TZ = True
CHANNEL_LAYERS = channel_layers_config(redis_url=os.environ.get("REDIS_URL", ""))
