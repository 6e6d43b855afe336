"""Going live: what an admin needs to set up each platform, and ``tactline doctor``.

- :mod:`bot.golive.manifest`: the Slack app manifests (scopes, events, interactivity);
- :mod:`bot.golive.source_scan`: what Slack methods and events the code really uses;
- :mod:`bot.golive.invite`: the Discord invite URL and its permission bits;
- :mod:`bot.golive.telegram_check`: privacy mode and the webhook, asked of the Bot API;
- :mod:`bot.golive.doctor`: every check a live run needs, as a checklist.
"""
