from __future__ import annotations

from django.apps import AppConfig


class OpscoreConfig(AppConfig):
    name = "opscore"
    verbose_name = "OpsCore"
