"""Typed settings, read once from config/ (YAML) and the environment."""

from .loader import InvalidConfig, Settings, default_config_dir, default_data_dir, load_settings
from .source import ConfigError

__all__ = ["ConfigError", "InvalidConfig", "Settings", "default_config_dir", "default_data_dir", "load_settings"]
