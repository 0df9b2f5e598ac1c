"""The CHANNEL_LAYERS setting, kept apart so tests can build the Redis variant."""


def channel_layers_config(*, redis_url, capacity=1000, expiry=30):
    """In-memory layer without `redis_url`; channels-redis with it."""
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": capacity}}}
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s, the same as the layer's
                # blocking BZPOPMIN, so every idle websocket would be closed with 1011
                # (channels_redis #422). No read timeout; TCP keepalives find dead peers.
                "hosts": [{"address": redis_url, "socket_timeout": None, "socket_keepalive": True}],
                "capacity": capacity,
                "expiry": expiry,
            },
        }
    }
