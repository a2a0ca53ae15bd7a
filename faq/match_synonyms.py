"""Generic customer-support vocabulary (English and German) that means the same thing.

Each group's first word is the canonical term every other word of the group becomes.
Multi-word phrases are rewritten to one token before splitting. Text here is already
normalized (lower case, no accents, no punctuation), as `faq.normalize` leaves it.
"""

from __future__ import annotations

GROUPS: tuple[tuple[str, ...], ...] = (
    ("price", "cost", "fee", "pricing", "preis", "kosten", "gebuhr", "gebuhren"),
    ("buy", "purchase", "kaufen", "kauf"),
    ("refund", "reimburse", "reimbursement", "chargeback", "erstattung", "ruckerstattung"),
    ("cancel", "terminate", "unsubscribe", "kundigen", "kundigung", "stornieren"),
    ("account", "profile", "konto", "profil", "benutzerkonto", "kundenkonto"),
    ("password", "passcode", "passwort", "kennwort", "pwd"),
    ("login", "logon", "signin", "anmelden", "einloggen", "anmeldung"),
    ("logout", "logoff", "signout", "abmelden", "ausloggen"),
    ("signup", "register", "registration", "registrieren", "registrierung"),
    ("email", "mail"),
    ("phone", "telephone", "mobile", "cellphone", "smartphone", "handy", "telefon"),
    ("delivery", "deliver", "shipping", "ship", "shipment", "lieferung", "liefern", "versand"),
    ("problem", "issue", "trouble", "error", "fault", "fehler"),
    ("change", "modify", "update", "edit", "alter", "andern", "aktualisieren"),
    ("delete", "remove", "erase", "loschen", "entfernen"),
    ("fix", "repair", "resolve", "reparieren", "beheben"),
    ("broken", "defective", "damaged", "kaputt", "defekt"),
    ("bill", "invoice", "rechnung"),
    ("pay", "payment", "zahlung", "bezahlen", "zahlen"),
    ("money", "cash", "funds", "geld"),
    ("find", "locate", "search", "finden", "suchen"),
    ("human", "agent", "person", "representative", "operator", "mensch", "mitarbeiter"),
    ("address", "adresse", "anschrift"),
    ("order", "bestellung", "bestellen"),
    ("card", "karte"),
    ("car", "vehicle", "auto"),
    ("fast", "quick", "quickly", "rapid", "schnell"),
    ("start", "begin", "beginnen", "starten"),
    ("talk", "speak", "chat", "sprechen", "reden"),
    ("lost", "lose", "missing", "verloren"),
    ("stolen", "steal", "gestohlen"),
    ("open", "geoffnet", "offnungszeiten"),
    ("wrong", "incorrect", "falsch"),
)

PHRASES: tuple[tuple[str, str], ...] = (
    ("e mail", "email"),
    ("log in", "login"),
    ("sign in", "login"),
    ("log on", "login"),
    ("log out", "logout"),
    ("sign out", "logout"),
    ("log off", "logout"),
    ("sign up", "signup"),
    ("money back", "refund"),
    ("not working", "broken"),
    ("doesnt work", "broken"),
    ("does not work", "broken"),
    ("funktioniert nicht", "kaputt"),
)
