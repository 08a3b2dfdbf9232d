"""Home Assistant MQTT discovery's abbreviated keys (`cmd_t` → `command_topic`, …).

The subset that the supported components use, from Home Assistant's `mqtt/abbreviations.py`.
Unknown abbreviations are left as they are; fields the assistant does not use are ignored.
"""

from __future__ import annotations

from typing import Any

ABBREVIATIONS: dict[str, str] = {
    "act_t": "action_topic",
    "act_tpl": "action_template",
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic",
    "bri_cmd_tpl": "brightness_command_template",
    "bri_scl": "brightness_scale",
    "bri_stat_t": "brightness_state_topic",
    "bri_tpl": "brightness_template",
    "bri_val_tpl": "brightness_value_template",
    "cmd_off_tpl": "command_off_template",
    "cmd_on_tpl": "command_on_template",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "curr_temp_t": "current_temperature_topic",
    "curr_temp_tpl": "current_temperature_template",
    "dev": "device",
    "dev_cla": "device_class",
    "en": "enabled_by_default",
    "ent_cat": "entity_category",
    "exp_aft": "expire_after",
    "ic": "icon",
    "json_attr_t": "json_attributes_topic",
    "json_attr_tpl": "json_attributes_template",
    "max_temp": "max_temp",
    "min_temp": "min_temp",
    "mode_cmd_t": "mode_command_topic",
    "mode_cmd_tpl": "mode_command_template",
    "mode_stat_t": "mode_state_topic",
    "mode_stat_tpl": "mode_state_template",
    "obj_id": "object_id",
    "on_cmd_type": "on_command_type",
    "opt": "optimistic",
    "pct_cmd_t": "percentage_command_topic",
    "pct_cmd_tpl": "percentage_command_template",
    "pct_stat_t": "percentage_state_topic",
    "pct_val_tpl": "percentage_value_template",
    "pl_avail": "payload_available",
    "pl_cls": "payload_close",
    "pl_lock": "payload_lock",
    "pl_not_avail": "payload_not_available",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "pl_open": "payload_open",
    "pl_stop": "payload_stop",
    "pl_unlk": "payload_unlock",
    "pos_clsd": "position_closed",
    "pos_open": "position_open",
    "pos_t": "position_topic",
    "pos_tpl": "position_template",
    "qos": "qos",
    "ret": "retain",
    "set_pos_t": "set_position_topic",
    "set_pos_tpl": "set_position_template",
    "spd_rng_max": "speed_range_max",
    "spd_rng_min": "speed_range_min",
    "stat_cla": "state_class",
    "stat_clsd": "state_closed",
    "stat_closing": "state_closing",
    "stat_jam": "state_jammed",
    "stat_locked": "state_locked",
    "stat_locking": "state_locking",
    "stat_off": "state_off",
    "stat_on": "state_on",
    "stat_open": "state_open",
    "stat_opening": "state_opening",
    "stat_stopped": "state_stopped",
    "stat_t": "state_topic",
    "stat_tpl": "state_template",
    "stat_unlocked": "state_unlocked",
    "stat_unlocking": "state_unlocking",
    "stat_val_tpl": "state_value_template",
    "sup_clrm": "supported_color_modes",
    "temp_cmd_t": "temperature_command_topic",
    "temp_cmd_tpl": "temperature_command_template",
    "temp_stat_t": "temperature_state_topic",
    "temp_stat_tpl": "temperature_state_template",
    "temp_unit": "temperature_unit",
    "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}

DEVICE_ABBREVIATIONS: dict[str, str] = {
    "cns": "connections",
    "ids": "identifiers",
    "mf": "manufacturer",
    "mdl": "model",
    "mdl_id": "model_id",
    "hw": "hw_version",
    "sw": "sw_version",
    "sa": "suggested_area",
    "sn": "serial_number",
    "cu": "configuration_url",
}

AVAILABILITY_ABBREVIATIONS: dict[str, str] = {
    "t": "topic",
    "pl_avail": "payload_available",
    "pl_not_avail": "payload_not_available",
    "val_tpl": "value_template",
}


def expand(payload: dict[str, Any]) -> dict[str, Any]:
    """Expand abbreviated keys, including inside `device` and `availability`, and apply `~`.

    `~` is the base topic: in any `*_topic` value (and availability topics) a leading `~`
    is replaced by it, and so is a trailing one, as Home Assistant does.
    """
    config = {ABBREVIATIONS.get(key, key): value for key, value in payload.items()}
    if isinstance(config.get("device"), dict):
        config["device"] = {
            DEVICE_ABBREVIATIONS.get(key, key): value for key, value in config["device"].items()
        }
    if isinstance(config.get("availability"), list):
        config["availability"] = [
            {AVAILABILITY_ABBREVIATIONS.get(key, key): value for key, value in entry.items()}
            if isinstance(entry, dict)
            else entry
            for entry in config["availability"]
        ]
    base = config.pop("~", None)
    if isinstance(base, str):
        config = {
            key: _with_base(value, base) if key.endswith("_topic") else value
            for key, value in config.items()
        }
        for entry in config.get("availability") or []:
            if isinstance(entry, dict) and "topic" in entry:
                entry["topic"] = _with_base(entry["topic"], base)
    return config


def _with_base(value: Any, base: str) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith("~"):
        return base + value[1:]
    if value.endswith("~"):
        return value[:-1] + base
    return value
