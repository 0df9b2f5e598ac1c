"""The benchmark's table: one row per figure, printed as each scenario ends and all together at the end."""

import os
import platform
import shlex
import sys
from dataclasses import dataclass

COLUMNS = ("scenario", "server", "layer", "metric", "value", "vs relay", "check")


@dataclass
class Row:
    scenario: str
    server: str
    layer: str
    metric: str
    value: object
    ratio: object = None  # the figure divided by the plain relay's, where both exist
    check: str = ""

    def cells(self):
        return (
            self.scenario, self.server, self.layer, self.metric, format_value(self.value),
            "" if self.ratio is None else f"{self.ratio:.2f}x", self.check,
        )


def format_value(value):
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(value, baseline):
    if value is None or not baseline or baseline != baseline or value != value:
        return None
    return value / baseline


def table(rows):
    cells = [COLUMNS] + [row.cells() for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(len(COLUMNS))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in cells]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


def load_average():
    """The machine's 1-minute load average: other work on it skews every figure."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def command_line():
    return " ".join(shlex.quote(part) for part in [os.path.basename(sys.executable), *sys.argv])
