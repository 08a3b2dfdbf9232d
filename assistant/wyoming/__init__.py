"""The Wyoming protocol: `assistant serve`'s services for Home Assistant, and the secured
listener (`security`, `listener`, `client`) every Wyoming listener of the runtime uses."""
