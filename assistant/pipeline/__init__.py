"""The turn: the listening stages (`listen`), the one turn engine (`turn`), where replies go
(`reply`), typed results and events (`result`, `events`), the JSON contract (`contract`), and
the runtime assembled for it (`assembly`)."""
