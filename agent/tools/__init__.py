"""The assistant's tools. Importing this package registers all of them."""

from agent.tools.registry import REGISTRY, Tool, ToolContext, ToolOutcome, execute, tool, tools_for

# Registration happens on import of each module.
from agent.tools import customers, expenses, invoices, revenue  # noqa: E402,F401

__all__ = ["REGISTRY", "Tool", "ToolContext", "ToolOutcome", "execute", "tool", "tools_for"]
