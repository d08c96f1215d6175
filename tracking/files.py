"""Files named on the command line: checked before the work, written whole or not at all.

Every message is German and names the path; an operating-system error never
reaches the person as a traceback.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from tracking.errors import TrackingError

_OS_REASONS = {
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EDQUOT: "Speicherkontingent erschöpft",
    errno.EROFS: "der Datenträger ist schreibgeschützt",
    errno.ENAMETOOLONG: "der Name ist zu lang",
    errno.EIO: "Lese- oder Schreibfehler des Datenträgers",
}


def _reason(exc: OSError) -> str:
    return _OS_REASONS.get(exc.errno, f"Fehler des Betriebssystems Nr. {exc.errno}")


def read_file(name: str | os.PathLike) -> bytes:
    """The bytes of a file to read; a German TrackingError for a missing file, a folder or no permission."""
    path = Path(name)
    if str(name).strip() == "":
        raise TrackingError("Bitte den Namen einer Datei angeben.")
    if path.is_dir():
        raise TrackingError(f"«{path}» ist ein Ordner, keine Datei; bitte den Namen einer Datei darin angeben.")
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise TrackingError(f"Datei «{path}» nicht gefunden. Bitte Ordner und Dateinamen prüfen.") from exc
    except PermissionError as exc:
        raise TrackingError(
            f"Datei «{path}» kann nicht gelesen werden: keine Leseberechtigung. "
            "Bitte die Berechtigungen prüfen oder die Datei an einen lesbaren Ort kopieren."
        ) from exc
    except OSError as exc:
        raise TrackingError(f"Datei «{path}» kann nicht gelesen werden ({_reason(exc)}).") from exc


def output_file(name: str | os.PathLike, *, example: str = "datei.xlsx") -> Path:
    """The path to write to, checked before any work: not a folder, in a folder that exists and may be written.

    example is a file name for the message when name is a folder (e.g. «bericht.pptx»).
    """
    if str(name).strip() == "":
        raise TrackingError(f"Bitte einen Dateinamen angeben, z. B. -o {example}.")
    path = Path(name)
    if path.is_dir():
        raise TrackingError(f"«{path}» ist ein Ordner; bitte einen Dateinamen angeben, z. B. -o {path / example}.")
    folder = path.parent
    if not folder.exists():
        raise TrackingError(
            f"Der Ordner «{folder}» existiert nicht; bitte den Ordner zuerst anlegen oder einen bestehenden angeben."
        )
    if not folder.is_dir():
        raise TrackingError(f"«{folder}» ist kein Ordner, sondern eine Datei; bitte einen Ordner als Ziel angeben.")
    if path.exists() and not os.access(path, os.W_OK):
        raise TrackingError(f"Die Datei «{path}» ist schreibgeschützt; bitte einen anderen Dateinamen wählen.")
    if path.exists() and not path.is_file():  # a device or pipe (/dev/stdout): written directly
        return path
    # The new file is made next to the target and then replaces it: that needs the folder writable.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrackingError(
            f"In den Ordner «{folder}» darf nicht geschrieben werden (keine Berechtigung); "
            "bitte einen anderen Ordner wählen."
        )
    return path


def write_file(name: str | os.PathLike, data: bytes) -> Path:
    """Write data to the file atomically: a reader sees the old file or the new one, never half of it.

    The data goes to a hidden file in the same folder, which then replaces the
    target in one step. A device or pipe (/dev/stdout) is written directly.
    On any error nothing is left behind and a German TrackingError names the path.
    """
    path = output_file(name)
    if path.exists() and not path.is_file():  # /dev/stdout, a named pipe: nothing to replace
        try:
            with open(path, "wb") as out:
                out.write(data)
        except OSError as exc:
            raise TrackingError(f"«{path}» konnte nicht geschrieben werden ({_reason(exc)}).") from exc
        return path
    target = path.resolve() if path.is_symlink() else path  # a link to a file: replace the file, keep the link
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if target.exists():
                os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
            os.replace(temporary, target)
        finally:
            if temporary.exists():
                temporary.unlink()
    except OSError as exc:
        raise TrackingError(
            f"Datei «{path}» konnte nicht geschrieben werden ({_reason(exc)}); nichts gespeichert."
        ) from exc
    return path
