"""The studio's dark theme: one palette, one style sheet, a few named colours widgets share."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#0e0f14"
SURFACE = "#171922"
SURFACE_HIGH = "#1f2230"
BORDER = "#2a2e3f"
TEXT = "#e8e9f0"
TEXT_DIM = "#9398ad"
ACCENT = "#ff3d7f"  # live, primary actions, "my side"
ACCENT_2 = "#7c5cff"
OPPONENT = "#3da5ff"  # the other side of a PK battle
SUCCESS = "#2fd38a"
WARNING = "#ffb02e"
DANGER = "#ff4d5e"
ICONS = Path(__file__).resolve().parent / "icons"
CHECK_MARK = (ICONS / "check.svg").as_posix()
ARROW_DOWN = (ICONS / "chevron-down.svg").as_posix()  # drawn in ARROW
ARROW_UP = (ICONS / "chevron-up.svg").as_posix()
ARROW = "#c3c6d6"
FIELD_PADDING = 10  # px between a field's border and its text

STYLE = f"""
* {{ color: {TEXT}; font-size: 13px; }}
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QMainWindow::separator {{ background: {BACKGROUND}; width: 6px; height: 6px; }}
QMainWindow::separator:hover {{ background: {ACCENT_2}; }}
QDockWidget {{ titlebar-close-icon: none; font-weight: 600; }}
QDockWidget::title {{
    background: {SURFACE}; padding: 8px 12px; border-bottom: 1px solid {BORDER};
    text-align: left;
}}
QDockWidget > QWidget {{ background: {SURFACE}; }}
QToolBar {{
    background: {SURFACE}; border: none; border-bottom: 1px solid {BORDER};
    padding: 6px 10px; spacing: 8px;
}}
QToolBar QLabel#brand {{ font-size: 16px; font-weight: 800; letter-spacing: 0.5px; }}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; }}
QLabel#dim, QLabel[dim="true"] {{ color: {TEXT_DIM}; }}
QLabel#title {{ font-size: 15px; font-weight: 700; }}
QLabel#hero {{ font-size: 28px; font-weight: 800; }}
QLabel#section {{
    color: {TEXT_DIM}; font-size: 11px; font-weight: 700; letter-spacing: 1px;
    padding-top: 6px;
}}
QPushButton {{
    background: {SURFACE_HIGH}; border: 1px solid {BORDER}; border-radius: 8px;
    padding: 7px 14px; font-weight: 600;
}}
QPushButton:hover {{ border-color: {ACCENT_2}; }}
QPushButton:pressed {{ background: {BORDER}; }}
QPushButton:disabled {{ color: {TEXT_DIM}; background: {SURFACE}; }}
QPushButton:checked {{ background: {ACCENT_2}; border-color: {ACCENT_2}; }}
QPushButton[role="primary"] {{ background: {ACCENT}; border-color: {ACCENT}; color: white; }}
QPushButton[role="primary"]:hover {{ background: #ff5b93; }}
QPushButton[role="primary"]:disabled {{ background: #5a2a3b; border-color: #5a2a3b; }}
QPushButton[role="danger"] {{ background: transparent; border-color: {DANGER}; color: {DANGER}; }}
QPushButton[role="live"] {{
    background: {ACCENT}; border: none; color: white; padding: 8px 20px; font-weight: 800;
    border-radius: 16px;
}}
QPushButton[role="live"][live="true"] {{ background: {DANGER}; }}
QPushButton[role="link"] {{
    background: transparent; border: none; color: {ACCENT_2}; padding: 2px 4px;
}}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {BACKGROUND}; border: 1px solid {BORDER}; border-radius: 8px;
    padding: 6px {FIELD_PADDING}px; selection-background-color: {ACCENT_2};
}}
QLineEdit:focus, QSpinBox:focus, QComboBox:focus {{ border-color: {ACCENT_2}; }}
QLineEdit:disabled, QSpinBox:disabled, QComboBox:disabled {{
    color: {TEXT_DIM}; background: {SURFACE};
}}
QComboBox {{ padding-right: 26px; }}
QComboBox::drop-down {{
    subcontrol-origin: padding; subcontrol-position: center right; width: 24px; border: none;
}}
QComboBox::down-arrow {{ image: url({ARROW_DOWN}); width: 12px; height: 12px; }}
QComboBox::down-arrow:disabled, QSpinBox::up-arrow:disabled, QSpinBox::down-arrow:disabled {{
    image: none;
}}
QSpinBox, QDoubleSpinBox {{ padding-right: 24px; }}
QSpinBox::up-button, QDoubleSpinBox::up-button,
QSpinBox::down-button, QDoubleSpinBox::down-button {{
    subcontrol-origin: border; width: 22px; border: none; border-left: 1px solid {BORDER};
    background: {SURFACE};
}}
QSpinBox::up-button, QDoubleSpinBox::up-button {{
    subcontrol-position: top right; border-top-right-radius: 8px;
}}
QSpinBox::down-button, QDoubleSpinBox::down-button {{
    subcontrol-position: bottom right; border-bottom-right-radius: 8px;
}}
QSpinBox::up-button:hover, QSpinBox::down-button:hover,
QDoubleSpinBox::up-button:hover, QDoubleSpinBox::down-button:hover {{ background: {BORDER}; }}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{
    image: url({ARROW_UP}); width: 10px; height: 10px;
}}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{
    image: url({ARROW_DOWN}); width: 10px; height: 10px;
}}
QComboBox QAbstractItemView {{
    background: {SURFACE_HIGH}; border: 1px solid {BORDER}; selection-background-color: {ACCENT_2};
}}
QListWidget, QTreeWidget {{
    background: {BACKGROUND}; border: 1px solid {BORDER}; border-radius: 8px; padding: 4px;
}}
QListWidget::item {{ padding: 6px 8px; border-radius: 6px; }}
QListWidget::item:selected {{ background: {SURFACE_HIGH}; border: 1px solid {ACCENT_2}; }}
QTreeWidget::item {{ padding: 6px 4px; }}
QTreeWidget::item:selected {{ background: {SURFACE_HIGH}; color: {TEXT}; }}
QCheckBox, QRadioButton {{ spacing: 8px; }}
QRadioButton::indicator {{
    width: 16px; height: 16px; border: 2px solid {TEXT_DIM}; border-radius: 10px;
    background: {BACKGROUND};
}}
QRadioButton::indicator:hover {{ border-color: {ACCENT_2}; }}
QRadioButton::indicator:checked {{
    border-color: {ACCENT};
    background: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
        stop: 0 {ACCENT}, stop: 0.55 {ACCENT}, stop: 0.6 {BACKGROUND}, stop: 1 {BACKGROUND});
}}
QRadioButton::indicator:disabled {{ border-color: {BORDER}; background: {SURFACE}; }}
QCheckBox::indicator {{
    width: 16px; height: 16px; border: 2px solid {TEXT_DIM}; border-radius: 5px;
    background: {BACKGROUND};
}}
QCheckBox::indicator:hover {{ border-color: {ACCENT_2}; }}
QCheckBox::indicator:checked {{
    background: {ACCENT}; border-color: {ACCENT}; image: url({CHECK_MARK});
}}
QCheckBox::indicator:disabled {{ border-color: {BORDER}; background: {SURFACE}; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{
    background: white; width: 14px; height: 14px; margin: -5px 0; border-radius: 7px;
}}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{
    background: transparent; padding: 8px 8px; color: {TEXT_DIM}; font-weight: 600;
    font-size: 12px;
    border-bottom: 2px solid transparent;
}}
QTabBar::tear {{ width: 0; border: none; }}
QTabBar QToolButton {{
    background: {SURFACE_HIGH}; border: 1px solid {BORDER}; border-radius: 6px; margin: 4px 0;
}}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollBar:vertical {{ background: transparent; width: 8px; }}
QScrollBar::handle:vertical {{ background: {BORDER}; border-radius: 4px; min-height: 24px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
QFrame#card {{
    background: {SURFACE_HIGH}; border: 1px solid {BORDER}; border-radius: 12px;
}}
QToolTip {{ background: {SURFACE_HIGH}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


def apply(app: QApplication) -> None:
    """Dark palette (for native bits the style sheet does not reach) plus the style sheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BACKGROUND,
        QPalette.ColorRole.AlternateBase: SURFACE,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: SURFACE_HIGH,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT_2,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: SURFACE_HIGH,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: TEXT_DIM,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setFamilies(["Inter", "Noto Sans", "DejaVu Sans", "Sans Serif"])
    app.setFont(font)
    app.setStyleSheet(STYLE)


def restyle(widget: object) -> None:
    """Re-evaluate the style sheet after a dynamic property such as ``role`` changed."""
    style = getattr(widget, "style", None)
    if style is not None:
        style().unpolish(widget)
        style().polish(widget)
