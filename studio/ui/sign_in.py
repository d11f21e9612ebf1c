"""Sign in or create an account on a backend; remembered for the next run when asked."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.api_client import ApiError
from studio.core.session import Session
from studio.ui import theme
from studio.ui.tasks import Tasks
from studio.ui.widgets import role_button


class SignInDialog(QDialog):
    def __init__(self, session: Session, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tasks = tasks
        self.setWindowTitle("Sign in · OnAir Studio")
        self.setModal(True)
        self.setMinimumWidth(400)

        brand = QLabel(f"OnAir <span style='color:{theme.ACCENT}'>Studio</span>")
        brand.setObjectName("hero")
        tagline = QLabel("Sign in to go live, battle and sell.")
        tagline.setProperty("dim", True)

        self.username = QLineEdit(session.settings.username)
        self.username.setPlaceholderText("username")
        self.password = QLineEdit()
        self.password.setPlaceholderText("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_username = QLineEdit()
        self.new_username.setPlaceholderText("3–32 letters, digits, _ . -")
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("how viewers see you")
        self.new_password = QLineEdit()
        self.new_password.setPlaceholderText("at least 8 characters")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)

        self.tabs = QTabWidget()
        self.tabs.addTab(
            self._form(("Username", self.username), ("Password", self.password)), "Sign in"
        )
        self.tabs.addTab(
            self._form(
                ("Username", self.new_username),
                ("Display name", self.display_name),
                ("Password", self.new_password),
            ),
            "Create account",
        )
        self.tabs.currentChanged.connect(self._tab_changed)

        self.backend = QLineEdit(session.settings.backend_url)
        self.backend.setToolTip("The OnAir backend this studio talks to")
        self.remember = QCheckBox("Keep me signed in on this computer")
        self.remember.setChecked(session.settings.remember)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.DANGER};")
        self.error.hide()
        self.submit = role_button("Sign in", "primary")
        self.submit.setDefault(True)
        self.submit.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.new_password.returnPressed.connect(self._submit)

        server = QFormLayout()
        server.addRow(QLabel("Server"), self.backend)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(12)
        layout.addWidget(brand)
        layout.addWidget(tagline)
        layout.addWidget(self.tabs)
        layout.addLayout(server)
        layout.addWidget(self.remember)
        layout.addWidget(self.error)
        layout.addWidget(self.submit)
        (self.password if self.username.text() else self.username).setFocus()

    @staticmethod
    def _form(*rows: tuple[str, QLineEdit]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 12, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for label, field in rows:
            form.addRow(label, field)
        return page

    @property
    def creating(self) -> bool:
        return self.tabs.currentIndex() == 1

    def _tab_changed(self) -> None:
        self.submit.setText("Create account" if self.creating else "Sign in")
        self.error.hide()

    def _submit(self) -> None:
        if self.submit.isEnabled():
            self.tasks.spawn(self._sign_in())

    async def _sign_in(self) -> None:
        self.submit.setEnabled(False)
        self.error.hide()
        try:
            await self.session.use_backend(self.backend.text())
            if self.creating:
                await self.session.create_account(
                    self.new_username.text().strip(),
                    self.new_password.text(),
                    self.display_name.text().strip(),
                    remember=self.remember.isChecked(),
                )
            else:
                await self.session.sign_in(
                    self.username.text().strip(),
                    self.password.text(),
                    remember=self.remember.isChecked(),
                )
        except ApiError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        finally:
            self.submit.setEnabled(True)
        self.accept()
