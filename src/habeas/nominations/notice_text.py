"""The written notice served on a nominated person, in English or Spanish.

Trump v. J.G.G. (U.S. 2025): notice "within a reasonable time and in such a
manner as will allow them to actually seek habeas relief"; A.A.R.P. v. Trump
(U.S. 2025): about 24 hours "surely does not pass muster". The text says what
is proposed, the person's rights, how to reach counsel, and the earliest day
the transfer may happen.
"""

from __future__ import annotations

from datetime import date
from string import Template

TEMPLATES = {
    "en": Template("""NOTICE OF PROPOSED TRANSFER

To: $name (reference $external_ref)
Date served: $served_on

The $sending_state proposes to transfer you to the custody of $receiving_state, to be held
at $facility under agreement $agreement. You remain under the legal responsibility of
$sending_state and your sentence continues to run under its law.

Your rights:
- You may challenge this transfer in court, including by a petition for a writ of habeas
  corpus, before it happens.
- You may speak with a lawyer. If you do not have one, ask for the list of legal aid
  providers; calls to your lawyer are free and are not recorded.
- You may contact the consulate of your country of nationality.
- You may tell us whom to inform of your transfer, or ask that no one be told.

You will not be transferred before $earliest_departure ($notice_days days after this
notice was served). If a court orders that you must not be transferred, you will not be.
"""),
    "es": Template("""AVISO DE TRASLADO PROPUESTO

Para: $name (referencia $external_ref)
Fecha de notificación: $served_on

El Estado de $sending_state propone trasladarle a la custodia de $receiving_state, para ser
recluido en $facility conforme al acuerdo $agreement. Usted sigue bajo la responsabilidad
legal de $sending_state y su condena continúa cumpliéndose conforme a su ley.

Sus derechos:
- Puede impugnar este traslado ante un tribunal, incluso mediante una petición de hábeas
  corpus, antes de que ocurra.
- Puede hablar con un abogado. Si no tiene uno, pida la lista de servicios de asistencia
  jurídica; las llamadas a su abogado son gratuitas y no se graban.
- Puede comunicarse con el consulado del país de su nacionalidad.
- Puede indicarnos a quién informar de su traslado, o pedir que no se informe a nadie.

No será trasladado antes del $earliest_departure ($notice_days días después de la
notificación de este aviso). Si un tribunal ordena que no sea trasladado, no lo será.
"""),
}


def render(language: str, **fields: object) -> str:
    """render fills the notice in LANGUAGE ('en' or 'es'); KeyError for another language."""
    return TEMPLATES[language].substitute({k: str(v) for k, v in fields.items()})


def earliest_departure(served_on: date, notice_days: int) -> date:
    """earliest_departure: the first day a transfer may happen after notice served on a day."""
    from datetime import timedelta

    return served_on + timedelta(days=notice_days)
