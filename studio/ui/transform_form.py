"""A layer's place on the canvas as numbers: position, size, crop, rotation, fit.

Dragging on the preview moves and resizes a layer; this form is for exact values and for what
the preview's handles do not do (cropping the source's edges, rotating, fitting inside the box
instead of filling it). Every change is reported as ``changed(field, value)`` with a
:class:`~studio.core.scenes.model.Transform` field's name.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QWidget

from studio.core.scenes.model import Transform
from studio.ui.widgets import SpinBox

MAX_PX: Final = 16_384
NUMBERS: Final = {  # field → (label, lowest, highest, unit)
    "x": ("Left", -MAX_PX, MAX_PX, " px"),
    "y": ("Top", -MAX_PX, MAX_PX, " px"),
    "width": ("Width", 1, MAX_PX, " px"),
    "height": ("Height", 1, MAX_PX, " px"),
    "crop_left": ("Crop left", 0, MAX_PX, " px"),
    "crop_top": ("Crop top", 0, MAX_PX, " px"),
    "crop_right": ("Crop right", 0, MAX_PX, " px"),
    "crop_bottom": ("Crop bottom", 0, MAX_PX, " px"),
    "rotation": ("Rotation", -180, 180, "°"),
}
KEEP_ASPECT: Final = "keep_aspect"


class TransformForm(QWidget):
    changed = Signal(str, object)  # a Transform field's name, its new value

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.numbers: dict[str, SpinBox] = {}
        for name, (label, low, high, unit) in NUMBERS.items():
            box = SpinBox(low, high, suffix=unit)
            box.setKeyboardTracking(False)  # one change per number typed, not per digit
            box.valueChanged.connect(lambda value, field=name: self.changed.emit(field, value))
            self.numbers[name] = box
            form.addRow(label, box)
        self.fit = QCheckBox("Fit inside the box (keep the source's shape)")
        self.fit.toggled.connect(lambda on: self.changed.emit(KEEP_ASPECT, on))
        form.addRow(self.fit)

    def show_transform(self, transform: Transform) -> None:
        """Show ``transform``'s values (without reporting them as changes)."""
        for name, box in self.numbers.items():
            value = round(float(getattr(transform, name)))
            if box.value() != value:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)
        self.fit.blockSignals(True)
        self.fit.setChecked(transform.keep_aspect)
        self.fit.blockSignals(False)
