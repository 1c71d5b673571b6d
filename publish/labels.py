"""Words the editions print around the text, in the pamphlet's language."""

from __future__ import annotations

from .typography import MISSING_IN_FONTS, base_lang

LABELS = {
    "en": {"photo": "Photo:", "translation": "Translation by", "photo_note": "On the photograph in the original publication",
           "first_published": "First published by", "contents": "Contents", "cover": "Cover", "license": "Licence:",
           "title_page": "Title page", "colophon": "Colophon", "and": "and",
           "pages": "Pages", "landmarks": "Landmarks", "read_online": "Read it online"},
    "es": {"photo": "Foto:", "translation": "Traducción de", "photo_note": "Sobre la fotografía de la publicación original",
           "first_published": "Publicado originalmente por", "contents": "Índice", "cover": "Cubierta", "license": "Licencia:",
           "title_page": "Portada", "colophon": "Colofón", "and": "y",
           "pages": "Páginas", "landmarks": "Puntos de referencia", "read_online": "Léalo en línea"},
    "fr": {"photo": "Photo\u00a0:", "translation": "Traduction de", "photo_note": "Sur la photographie de la publication originale",
           "first_published": "Publié d’abord par", "contents": "Sommaire", "cover": "Couverture", "license": "Licence\u00a0:",
           "title_page": "Page de titre", "colophon": "Colophon", "and": "et",
           "pages": "Pages", "landmarks": "Repères", "read_online": "À lire en ligne"},
    "de": {"photo": "Foto:", "translation": "Übersetzung:", "photo_note": "Zum Foto der Originalveröffentlichung",
           "first_published": "Zuerst veröffentlicht von", "contents": "Inhalt", "cover": "Umschlag", "license": "Lizenz:",
           "title_page": "Titelseite", "colophon": "Impressum", "and": "und",
           "pages": "Seiten", "landmarks": "Orientierungspunkte", "read_online": "Online lesen"},
    "ru": {"photo": "Фото:", "translation": "Перевод:", "photo_note": "К фотографии в оригинальной публикации",
           "first_published": "Впервые опубликовано:", "contents": "Содержание", "cover": "Обложка", "license": "Лицензия:",
           "title_page": "Титульный лист", "colophon": "Выходные данные", "and": "и",
           "pages": "Страницы", "landmarks": "Ориентиры", "read_online": "Читать онлайн"},
    "kk": {"photo": "Сурет:", "translation": "Аударған:", "photo_note": "Түпнұсқа басылымдағы сурет туралы",
           "first_published": "Алғаш жариялаған:", "contents": "Мазмұны", "cover": "Мұқаба", "license": "Лицензия:",
           "title_page": "Титул беті", "colophon": "Шығу деректері", "and": "және",
           "pages": "Беттер", "landmarks": "Бағдарлар", "read_online": "Онлайн оқу"},
}


def labels_for(lang: str) -> dict[str, str]:
    """The label set for `lang`, English where the language is not yet translated."""
    return LABELS.get(base_lang(lang), LABELS["en"])


def join_names(names: tuple[str, ...], lang: str) -> str:
    """('A', 'B', 'C') -> 'A, B and C'."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {labels_for(lang)['and']} {names[-1]}"


def human_date(date: str, lang: str) -> str:
    """'2022-01-10' -> 'January 10, 2022' in the pamphlet's language (CLDR, through Babel)."""
    from datetime import date as Date

    from babel.core import UnknownLocaleError
    from babel.dates import format_date, format_skeleton

    parts = [int(p) for p in date.split("-")] if date else []
    if len(parts) < 2:
        return date
    locale = lang.replace("-", "_")
    try:
        day = Date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
        text = format_date(day, "long", locale=locale) if len(parts) == 3 else format_skeleton("yMMMM", day, locale=locale)
    except (UnknownLocaleError, ValueError):
        return date
    return text.translate(MISSING_IN_FONTS)
