import time
from typing import Annotated

from pydantic import BaseModel, Field

from assistant.skills import Skill, ToolResult, tool


class CoffeeSkill(Skill):
    """Brew coffee on a smart plug and say when it is ready."""

    class Config(BaseModel):
        plug: str = "switch.coffee_machine"  # the entity id of the machine's smart plug
        brew_seconds: float = Field(default=240.0, gt=0)

    @tool("BrewCoffee", examples=["(make|brew) {cups} cups of coffee", "make a coffee{cups=1}"])
    async def brew(self, cups: Annotated[int, Field(ge=1, le=8)] = 1) -> ToolResult:
        """Brew coffee and say when it is ready.

        Args:
            cups: how many cups, 1 to 8.
        """
        context = self.context
        outcome = await context.devices.call(context.config.plug, "turn_on")
        result = ToolResult.from_outcomes([outcome], f"Brewing coffee for {cups}.")
        if result.success:
            due = time.time() + context.config.brew_seconds
            context.scheduler.call_at(due, lambda: context.speak("Your coffee is ready."), "coffee")
        return result
