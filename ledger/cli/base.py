"""What every `ledger` command shares: the error boundary, the consoles of an invocation, the Typer factory.

The error boundary is one Click group class (Ape's `ApeCLI.invoke` is the model): a `LedgerError`, an HTTP error of
httpx or a problem answer of the API raised by a command becomes one clean line on stderr and an exit code, so no
command repeats `except LedgerError`. A command's own exits (`typer.Exit`, Click's usage errors with exit 2) pass
through untouched.

This module imports nothing heavy: `ledger --help` must start fast (heavy modules are imported inside the commands).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.markup import escape
from typer.core import TyperGroup

from ledger.domain.errors import LedgerError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status
    from typer._click import Context  # Typer's own Click: the type its groups are invoked with

F = TypeVar("F", bound=Callable[..., Any])

#: The consoles of the running invocation, by (stderr, soft_wrap); None outside one.
_consoles: ContextVar[dict[tuple[bool, bool], Console] | None] = ContextVar("ledger_cli_consoles", default=None)

#: The attribute `error_exit` sets on a command's function (Typer's wrapper copies it to the Click callback).
_ERROR_EXIT = "ledger_error_exit"


def error_exit(code: int) -> Callable[[F], F]:
    """Declare the exit code of a command's failure when it is not 1: the checking commands (verify-*, epcis) exit 1
    for "not proven" and 2 when they could not check at all."""

    def mark(function: F) -> F:
        setattr(function, _ERROR_EXIT, code)
        return function

    return mark


def failure(exc: BaseException) -> str | None:
    """The one line a failure prints (rich markup), or None when `exc` is not a failure the boundary handles."""
    if isinstance(exc, LedgerError):
        return f"[red]error:[/] {escape(str(exc))}"
    httpx = sys.modules.get("httpx")  # not imported: no HTTP error can have been raised
    if httpx is None:
        return None
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        try:
            answer = response.json()
            detail = answer.get("detail", response.text) if isinstance(answer, dict) else response.text
        except ValueError:
            detail = response.text
        return f"[red]refused ({response.status_code}):[/] {escape(str(detail))}"
    if isinstance(exc, httpx.TransportError):
        try:
            where = str(exc.request.url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
        except RuntimeError:  # an error raised outside a request
            where = "the API"
        return f"[red]cannot reach {escape(where)}:[/] {type(exc).__name__}"
    if isinstance(exc, httpx.HTTPError):
        return f"[red]error:[/] {escape(str(exc)) or type(exc).__name__}"
    return None


class CommandGroup(TyperGroup):
    """The error boundary: every `ledger` group (the top one and `admin`, `epcis`, ...) is one of these, so the group
    closest to the failing command turns the failure into its line on stderr and the command's exit code."""

    def invoke(self, ctx: Context) -> Any:
        scope = _consoles.set({}) if ctx.parent is None else None  # the top group opens the invocation's consoles
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = failure(exc)
            if message is None:
                raise
            command = self.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None
            code = getattr(getattr(command, "callback", None), _ERROR_EXIT, 1)
            InvocationConsole(stderr=True, soft_wrap=True).print(message)
            raise typer.Exit(code) from None
        finally:
            if scope is not None:
                _consoles.reset(scope)


def command_group(**options: Any) -> typer.Typer:
    """A Typer app (the top one or a sub-command group) whose group is the error boundary."""
    options.setdefault("no_args_is_help", True)
    return typer.Typer(cls=CommandGroup, add_completion=False, pretty_exceptions_enable=False, **options)


class InvocationConsole:
    """A rich console made once per invocation, on first use, so it reads COLUMNS and NO_COLOR as they are when the
    command runs (not when its module was imported). Commands keep one of these per module and print through it."""

    def __init__(self, *, stderr: bool = False, soft_wrap: bool = False) -> None:
        self.stderr = stderr
        self.soft_wrap = soft_wrap

    @property
    def current(self) -> Console:
        from rich.console import Console

        made = _consoles.get()
        if made is None:  # outside an invocation (a helper called from Python): a console for this call
            return Console(stderr=self.stderr, soft_wrap=self.soft_wrap)
        key = (self.stderr, self.soft_wrap)
        if key not in made:
            made[key] = Console(stderr=self.stderr, soft_wrap=self.soft_wrap)
        return made[key]

    def print(self, *objects: Any, **options: Any) -> None:
        self.current.print(*objects, **options)

    def status(self, status: str, **options: Any) -> Status:
        return self.current.status(status, **options)
