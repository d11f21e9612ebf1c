"""One control per declared filter parameter, built from its ``describe()`` entry.

float/int → slider with the value and unit, bool → switch, color → swatch that opens a colour
picker, choice → drop-down, file → path with a browse button, text → line edit. Every control
reports a new value through ``changed(value)``; the caller validates and applies it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QWidget,
)

SLIDER_STEPS = 1000


class ParamControl(QWidget):
    changed = Signal(object)

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.setToolTip(str(spec.get("help") or ""))

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


class NumberControl(ParamControl):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.integer = spec["type"] == "int"
        self.low = float(spec.get("min", 0.0))
        self.high = float(spec.get("max", 100.0))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.readout = QLabel()
        self.readout.setMinimumWidth(56)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.readout.setProperty("dim", True)
        self.row.addWidget(self.slider, 1)
        self.row.addWidget(self.readout)
        self.slider.valueChanged.connect(self._moved)

    def value(self) -> float | int:
        fraction = self.slider.value() / SLIDER_STEPS
        raw = self.low + fraction * (self.high - self.low)
        step = float(self.spec.get("step") or (1.0 if self.integer else 0.0))
        if step:
            raw = self.low + round((raw - self.low) / step) * step
        raw = min(self.high, max(self.low, raw))
        return round(raw) if self.integer else round(raw, 4)

    def set_value(self, value: Any) -> None:
        span = (self.high - self.low) or 1.0
        self.slider.blockSignals(True)
        self.slider.setValue(round((float(value) - self.low) / span * SLIDER_STEPS))
        self.slider.blockSignals(False)
        self._show(value)

    def _moved(self) -> None:
        value = self.value()
        self._show(value)
        self.changed.emit(value)

    def _show(self, value: Any) -> None:
        unit = str(self.spec.get("unit") or "")
        number = f"{int(value)}" if self.integer or float(value).is_integer() else f"{value:.2f}"
        self.readout.setText(f"{number}{' ' if unit and unit != '%' else ''}{unit}")


class BoolControl(ParamControl):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.box = QCheckBox()
        self.row.addWidget(self.box)
        self.row.addStretch()
        self.box.toggled.connect(self.changed.emit)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)


class ColorControl(ParamControl):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.swatch = QPushButton()
        self.swatch.setFixedSize(64, 24)
        self.code = QLabel()
        self.code.setProperty("dim", True)
        self.row.addWidget(self.swatch)
        self.row.addWidget(self.code)
        self.row.addStretch()
        self.swatch.clicked.connect(self._pick)
        self.colour = str(spec["default"])

    def set_value(self, value: Any) -> None:
        self.colour = str(value)
        self.swatch.setStyleSheet(
            f"background: {self.colour}; border: 2px solid #ffffff33; border-radius: 6px;"
        )
        self.code.setText(self.colour.upper())

    def _pick(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour), self, self.spec.get("label", ""))
        if chosen.isValid():
            self.set_value(chosen.name())
            self.changed.emit(chosen.name())


class ChoiceControl(ParamControl):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.box = QComboBox()
        verbatim = bool(spec.get("verbatim"))  # names of things (windows), not of options
        for choice in spec.get("choices") or ():
            label = str(choice) if verbatim else str(choice).replace("_", " ").capitalize()
            self.box.addItem(label, choice)
        self.row.addWidget(self.box, 1)
        self.box.activated.connect(lambda index: self.changed.emit(self.box.itemData(index)))

    def set_value(self, value: Any) -> None:
        self.box.setCurrentIndex(max(0, self.box.findData(value)))


class TextControl(ParamControl):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.edit = QLineEdit()
        self.edit.setMaxLength(int(spec.get("max_length") or 200))
        self.row.addWidget(self.edit, 1)
        self.edit.editingFinished.connect(lambda: self.changed.emit(self.edit.text()))

    def set_value(self, value: Any) -> None:
        self.edit.setText(str(value))


class FileControl(TextControl):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.edit.setPlaceholderText("built-in")
        browse = QPushButton("Browse…")
        self.row.addWidget(browse)
        browse.clicked.connect(self._browse)

    def _browse(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in self.spec.get("extensions") or ())
        path, _ = QFileDialog.getOpenFileName(
            self, self.spec.get("label", "Choose a file"), "", f"Files ({patterns or '*'})"
        )
        if path:
            self.set_value(path)
            self.changed.emit(path)


CONTROLS: dict[str, type[ParamControl]] = {
    "float": NumberControl,
    "int": NumberControl,
    "bool": BoolControl,
    "color": ColorControl,
    "choice": ChoiceControl,
    "file": FileControl,
    "text": TextControl,
}


def control_for(spec: dict[str, Any], value: Any) -> ParamControl:
    control = CONTROLS[spec["type"]](spec)
    control.set_value(value)
    return control
