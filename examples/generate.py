"""Generate the bundled SYNTHETIC example studies. Every participant, quote and date is invented.

SYNTHETIC DATA: nothing written by this script comes from a real study, a real patient or a
real interview. The quotes are short sentences made up to sound like interview speech; the
first names, dates and clinic names in them are fictional and exist so that redaction rules
have something to catch.

Two cohorts of rare conditions with chronic pain:

- ``calciphylaxis/``: 15 participants shaped like the phenomenological study that motivated
  raremix (9 in remission, 6 with active disease; 12 women, 3 men; ages 38 to 80, mean 59),
  coded with a biopsychosocial codebook (3 domains, 13 themes, 31 codes).
- ``erythromelalgia/``: 24 participants, coded with their own codebook; some code ids are the
  same as in the calciphylaxis codebook (``severe_pain``, ``provider_knowledge``, …), others
  are specific to the condition (``cooling_behaviours``, ``heat_triggers``, …).

Each study has two coders: ``coder_a`` coded every transcript, ``coder_b`` double-coded some
of them with realistic but imperfect agreement. One calciphylaxis participant has no coding.

The output is deterministic (``random.Random`` with fixed seeds, no dependence on dict or set
iteration order). Re-run after editing, from the repository root::

    .venv/bin/python examples/generate.py

It rewrites ``participants.csv``, ``codebook.csv`` and ``codings.csv`` of both studies; the
``study.yml`` and ``README.md`` files are written by hand and left alone.
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A code: id, label, parent, one-line description, and the probability that a participant
# voices it in each of the two groups of the study's grouping attribute (disease_status for
# calciphylaxis, onset for erythromelalgia). Domains and themes have no probabilities.


@dataclass(frozen=True)
class Node:
    code_id: str
    label: str
    parent_id: str
    description: str
    p: tuple[float, float] | None = None  # (first group, second group); None: not a leaf


def _domain(code_id: str, label: str, description: str) -> Node:
    return Node(code_id, label, "", description)


CALCIPHYLAXIS: list[Node] = [
    _domain(
        "biological",
        "Biological and physical",
        "How the disease and its treatment are lived in the body.",
    ),
    Node("pain", "Pain", "biological", "Pain from the lesions and how it is treated."),
    Node(
        "severe_pain",
        "Severe pain",
        "pain",
        "Pain described as extreme, constant or unlike any pain felt before.",
        (0.97, 0.80),
    ),
    Node(
        "inadequate_pain_management",
        "Inadequate pain management",
        "pain",
        "Pain relief that came late, was refused, or did not work.",
        (0.70, 0.55),
    ),
    Node(
        "medication_side_effects",
        "Side effects of pain medication",
        "pain",
        "Drowsiness, constipation or confusion from analgesics.",
        (0.35, 0.20),
    ),
    Node(
        "wounds",
        "Wounds and skin",
        "biological",
        "Living with open, slow-healing skin lesions.",
        None,
    ),
    Node(
        "wound_care",
        "Wound care",
        "wounds",
        "Daily dressing changes, nursing visits and the work of caring for wounds.",
        (0.95, 0.55),
    ),
    Node(
        "wound_appearance",
        "Appearance and smell of wounds",
        "wounds",
        "Distress about how the wounds look or smell.",
        (0.45, 0.20),
    ),
    Node(
        "infection_hospital",
        "Infection and hospital stays",
        "wounds",
        "Wound infections, sepsis scares and admissions.",
        (0.55, 0.45),
    ),
    Node(
        "treatment_burden",
        "Treatment burden",
        "biological",
        "The time and effort that treatment takes.",
        None,
    ),
    Node(
        "dialysis_burden",
        "Dialysis burden",
        "treatment_burden",
        "Hours on dialysis and what they take out of the week.",
        (0.60, 0.55),
    ),
    Node(
        "infusions",
        "Intravenous infusions",
        "treatment_burden",
        "Repeated infusions, cannulas and their side effects.",
        (0.65, 0.50),
    ),
    Node(
        "surgery",
        "Surgery and debridement",
        "treatment_burden",
        "Operations to clean or remove dead tissue.",
        (0.35, 0.30),
    ),
    Node(
        "physical_function", "Physical function", "biological", "What the body can still do.", None
    ),
    Node(
        "mobility_loss",
        "Loss of mobility",
        "physical_function",
        "Walking less, needing aids, being housebound.",
        (0.75, 0.35),
    ),
    Node(
        "sleep_disruption",
        "Sleep disruption",
        "physical_function",
        "Pain or dressings that break up the night.",
        (0.65, 0.30),
    ),
    Node(
        "fatigue",
        "Fatigue",
        "physical_function",
        "Exhaustion beyond ordinary tiredness.",
        (0.45, 0.35),
    ),
    _domain("psychological", "Psychological", "Thoughts and feelings about the illness."),
    Node(
        "living_with_uncertainty",
        "Living with uncertainty",
        "psychological",
        "Not knowing what is happening or what comes next.",
        None,
    ),
    Node(
        "uncertainty",
        "Uncertainty about the future",
        "living_with_uncertainty",
        "Not knowing whether the disease will heal, return or kill.",
        (0.90, 0.55),
    ),
    Node(
        "diagnostic_delay",
        "Delayed diagnosis",
        "living_with_uncertainty",
        "Weeks or months before anyone named the condition.",
        (0.50, 0.55),
    ),
    Node(
        "emotional_impact",
        "Emotional impact",
        "psychological",
        "The feelings the illness brings.",
        None,
    ),
    Node(
        "fear",
        "Fear",
        "emotional_impact",
        "Fear of dying, of amputation or of the disease coming back.",
        (0.85, 0.50),
    ),
    Node(
        "mood", "Low mood", "emotional_impact", "Sadness, hopelessness or depression.", (0.65, 0.30)
    ),
    Node(
        "body_image",
        "Body image",
        "emotional_impact",
        "Feeling changed, disfigured or not oneself.",
        (0.30, 0.20),
    ),
    Node("coping", "Coping and hope", "psychological", "Ways of carrying on.", None),
    Node(
        "hope",
        "Hope",
        "coping",
        "Looking forward, noticing healing, wanting to get better.",
        (0.30, 0.80),
    ),
    Node(
        "acceptance", "Acceptance", "coping", "Making peace with what has happened.", (0.15, 0.50)
    ),
    Node(
        "meaning",
        "Spirituality and meaning",
        "psychological",
        "Faith and the search for meaning.",
        None,
    ),
    Node("faith", "Faith", "meaning", "Prayer, religious community or trust in God.", (0.10, 0.12)),
    Node(
        "meaning_making",
        "Making sense of the illness",
        "meaning",
        "Finding a reason or a lesson in the experience.",
        (0.05, 0.10),
    ),
    _domain("social", "Social", "Relationships with clinicians, family, friends and society."),
    Node(
        "providers",
        "Relationships with providers",
        "social",
        "Encounters with doctors, nurses and the health system.",
        None,
    ),
    Node(
        "provider_knowledge",
        "Provider knowledge of the condition",
        "providers",
        "Clinicians who had never seen or did not recognise the disease.",
        (0.80, 0.70),
    ),
    Node(
        "communication",
        "Communication and honesty",
        "providers",
        "Being told the truth, clearly and in time, or not.",
        (0.55, 0.60),
    ),
    Node(
        "empathy",
        "Empathy",
        "providers",
        "Feeling cared for, listened to, or dismissed.",
        (0.50, 0.60),
    ),
    Node(
        "family_friends",
        "Family and friends",
        "social",
        "Support from and strain on close relationships.",
        None,
    ),
    Node(
        "family_support",
        "Support from family and friends",
        "family_friends",
        "Practical and emotional help from people close by.",
        (0.75, 0.75),
    ),
    Node(
        "caregiver_burden",
        "Burden on caregivers",
        "family_friends",
        "Worry about what the illness costs a partner or child.",
        (0.50, 0.30),
    ),
    Node("social_isolation", "Isolation", "social", "Being cut off from others.", None),
    Node(
        "isolation",
        "Withdrawal and loneliness",
        "social_isolation",
        "Staying at home, seeing fewer people, feeling alone.",
        (0.65, 0.35),
    ),
    Node(
        "stigma",
        "Being looked at",
        "social_isolation",
        "Stares, questions and avoiding being seen.",
        (0.25, 0.10),
    ),
    Node("financial", "Financial and work", "social", "Money and employment.", None),
    Node(
        "financial_strain",
        "Financial strain",
        "financial",
        "Costs of treatment, travel and dressings.",
        (0.35, 0.30),
    ),
    Node(
        "work_loss",
        "Loss of work",
        "financial",
        "Giving up or cutting down on paid work.",
        (0.25, 0.20),
    ),
    Node(
        "community",
        "Peer and community support",
        "social",
        "Contact with others who have the condition.",
        None,
    ),
    Node(
        "peer_support",
        "Peer support",
        "community",
        "Talking to or looking for other patients.",
        (0.05, 0.12),
    ),
]

ERYTHROMELALGIA: list[Node] = [
    _domain("body", "Body and symptoms", "The physical experience of the condition."),
    Node(
        "flares",
        "Flares and pain",
        "body",
        "Episodes of burning pain and what sets them off.",
        None,
    ),
    Node(
        "severe_pain",
        "Severe pain",
        "flares",
        "Pain described as extreme, constant or unlike any pain felt before.",
        (0.95, 0.85),
    ),
    Node(
        "burning_flares",
        "Burning flares",
        "flares",
        "Hands or feet that turn red, hot and burning.",
        (0.90, 0.85),
    ),
    Node(
        "heat_triggers",
        "Heat and exercise triggers",
        "flares",
        "Warmth, exercise, socks or bedding that start a flare.",
        (0.70, 0.65),
    ),
    Node(
        "self_management",
        "Self-management",
        "body",
        "What people do themselves to cope with flares.",
        None,
    ),
    Node(
        "cooling_behaviours",
        "Cooling with fans, ice or water",
        "self_management",
        "Soaking, fans and cold floors to stop the burning.",
        (0.85, 0.75),
    ),
    Node(
        "skin_damage_cooling",
        "Skin damage from cooling",
        "self_management",
        "Wounds, infections or cold injury from too much cooling.",
        (0.40, 0.30),
    ),
    Node(
        "clothing_footwear",
        "Clothing and footwear",
        "self_management",
        "Sandals in winter, no socks, choosing fabrics.",
        (0.30, 0.30),
    ),
    Node(
        "medical_care", "Medical care", "body", "Treatments tried and how well they worked.", None
    ),
    Node(
        "inadequate_pain_management",
        "Inadequate pain management",
        "medical_care",
        "Pain relief that came late, was refused, or did not work.",
        (0.55, 0.65),
    ),
    Node(
        "medication_trials",
        "Trying one medicine after another",
        "medical_care",
        "Long sequences of drugs with little effect.",
        (0.60, 0.70),
    ),
    Node(
        "genetic_testing",
        "Genetic testing",
        "medical_care",
        "Being tested for a gene change, and what the result meant.",
        (0.45, 0.08),
    ),
    Node("daily_life", "Daily life", "body", "How flares reshape everyday routines.", None),
    Node(
        "sleep_disruption",
        "Sleep disruption",
        "daily_life",
        "Pain or dressings that break up the night.",
        (0.55, 0.55),
    ),
    Node(
        "mobility_loss",
        "Loss of mobility",
        "daily_life",
        "Walking less, needing aids, being housebound.",
        (0.35, 0.50),
    ),
    Node(
        "seasonal_planning",
        "Planning around the weather",
        "daily_life",
        "Arranging life around heat, summers and heating.",
        (0.45, 0.35),
    ),
    _domain("mind", "Mind and emotions", "Thoughts and feelings about living with the condition."),
    Node(
        "diagnostic_journey",
        "Diagnostic journey",
        "mind",
        "The road to a name for the condition.",
        None,
    ),
    Node(
        "diagnostic_delay",
        "Delayed diagnosis",
        "diagnostic_journey",
        "Weeks or months before anyone named the condition.",
        (0.85, 0.65),
    ),
    Node(
        "disbelief",
        "Not being believed",
        "diagnostic_journey",
        "Symptoms doubted, called psychological or exaggerated.",
        (0.70, 0.45),
    ),
    Node("emotions", "Emotions", "mind", "Feelings the condition brings.", None),
    Node(
        "fear",
        "Fear",
        "emotions",
        "Fear of dying, of amputation or of the disease coming back.",
        (0.25, 0.30),
    ),
    Node("mood", "Low mood", "emotions", "Sadness, hopelessness or depression.", (0.45, 0.55)),
    Node(
        "uncertainty",
        "Uncertainty about the future",
        "emotions",
        "Not knowing whether the disease will heal, return or kill.",
        (0.40, 0.45),
    ),
    Node("resilience", "Resilience", "mind", "Ways of carrying on.", None),
    Node(
        "hope",
        "Hope",
        "resilience",
        "Looking forward, noticing healing, wanting to get better.",
        (0.35, 0.35),
    ),
    Node(
        "self_advocacy",
        "Self-advocacy",
        "resilience",
        "Bringing research to appointments, insisting on referrals.",
        (0.55, 0.35),
    ),
    _domain(
        "social", "Social world", "Relationships with clinicians, family, friends and society."
    ),
    Node(
        "providers",
        "Clinicians",
        "social",
        "Encounters with doctors, nurses and the health system.",
        None,
    ),
    Node(
        "provider_knowledge",
        "Provider knowledge of the condition",
        "providers",
        "Clinicians who had never seen or did not recognise the disease.",
        (0.85, 0.80),
    ),
    Node(
        "communication",
        "Communication and honesty",
        "providers",
        "Being told the truth, clearly and in time, or not.",
        (0.35, 0.40),
    ),
    Node(
        "empathy",
        "Empathy",
        "providers",
        "Feeling cared for, listened to, or dismissed.",
        (0.40, 0.35),
    ),
    Node(
        "relationships",
        "Relationships",
        "social",
        "Family, partners, friends and school or work mates.",
        None,
    ),
    Node(
        "family_support",
        "Support from family and friends",
        "relationships",
        "Practical and emotional help from people close by.",
        (0.70, 0.55),
    ),
    Node(
        "caregiver_burden",
        "Burden on caregivers",
        "relationships",
        "Worry about what the illness costs a partner or child.",
        (0.35, 0.20),
    ),
    Node(
        "isolation",
        "Withdrawal and loneliness",
        "relationships",
        "Staying at home, seeing fewer people, feeling alone.",
        (0.50, 0.45),
    ),
    Node("work_money", "Work and money", "social", "Employment, school and costs.", None),
    Node(
        "work_loss",
        "Loss of work",
        "work_money",
        "Giving up or cutting down on paid work.",
        (0.30, 0.55),
    ),
    Node(
        "financial_strain",
        "Financial strain",
        "work_money",
        "Costs of treatment, travel and cooling equipment.",
        (0.25, 0.35),
    ),
    Node("online_community", "Online community", "social", "Other patients met online.", None),
    Node(
        "peer_support",
        "Peer support",
        "online_community",
        "Talking to or looking for other patients.",
        (0.65, 0.50),
    ),
    Node(
        "awareness_advocacy",
        "Raising awareness",
        "online_community",
        "Explaining the condition to the public, fundraising.",
        (0.25, 0.15),
    ),
]

# Invented quotes, a few per code. Fake first names (Odile, Ferris, Brannagh, Tamsin) and
# fake dates are deliberate: they give the redaction rules something to catch.
QUOTES: dict[str, list[str]] = {
    "severe_pain": [
        "It was the worst pain I have ever had, worse than childbirth.",
        "The pain never switched off, not for one minute of the day.",
        "I would lie there and count the seconds until the next dose.",
        "Even the sheet touching my leg made me scream.",
        "On 12 March I told them I could not take another night of it.",
    ],
    "inadequate_pain_management": [
        "They kept saying the tablets should be enough, and they were not.",
        "Nobody would give me anything stronger because of my kidneys.",
        "I waited four hours on the ward for a painkiller that did nothing.",
        "The pain team came once and then I never saw them again.",
    ],
    "medication_side_effects": [
        "The morphine made me so foggy I could not follow a conversation.",
        "I was constipated for weeks from the painkillers.",
        "I stopped the patches because I was seeing things at night.",
    ],
    "wound_care": [
        "The dressings took an hour every morning, and they hurt every time.",
        "A nurse came to the house three times a week for the wounds.",
        "My husband Ferris learned to pack the wound himself.",
        "I knew every kind of dressing by name after a month.",
    ],
    "wound_appearance": [
        "The smell was the thing I could not bear, I was so ashamed of it.",
        "When I first saw the wound I thought it was my leg dying.",
        "I could not look at it, I made them cover it before I opened my eyes.",
    ],
    "infection_hospital": [
        "I spent most of that spring in hospital with one infection after another.",
        "They told my daughter I might not make it through the sepsis.",
        "Every fever meant another admission and more antibiotics.",
    ],
    "dialysis_burden": [
        "Dialysis already took three days a week, and this took the rest.",
        "Sitting in the dialysis chair with the wounds was torture.",
        "I planned my whole life around the dialysis unit.",
    ],
    "infusions": [
        "The infusions made me feel sick every single time.",
        "They ran out of veins to put the line in.",
        "Three times a week on the drip, for months.",
    ],
    "surgery": [
        "They had to cut away the dead skin in theatre, twice.",
        "After the operation the wound was bigger than before.",
        "I signed the consent form for the debridement on 2 June and cried.",
    ],
    "mobility_loss": [
        "I went from walking the dog to needing a frame.",
        "I could not get up the stairs, so we moved my bed downstairs.",
        "For months I did not leave the flat except for appointments.",
    ],
    "sleep_disruption": [
        "I have not slept a full night since it started.",
        "I would wake at three every night from the pain.",
        "Sleep was the first thing to go.",
    ],
    "fatigue": [
        "I was tired in a way that sleep did not fix.",
        "Some days I could only manage one thing, a shower or a phone call.",
        "The tiredness was worse than people imagine.",
    ],
    "uncertainty": [
        "Nobody could tell me if it would heal or not.",
        "Every new spot on my skin, I wonder if it is coming back.",
        "I did not know if I would see Christmas that year.",
        "You live from one appointment to the next, never knowing.",
    ],
    "diagnostic_delay": [
        "It took months before anyone gave it a name.",
        "They treated it as cellulitis for weeks, and it kept getting worse.",
        "I saw four different doctors before the biopsy.",
        "By the time I had a diagnosis on 9 October it had spread.",
    ],
    "fear": [
        "I was terrified I was going to die from it.",
        "I was afraid they would have to take my leg.",
        "The word mortality was in every leaflet, and it frightened me.",
        "I am still scared it will come back.",
    ],
    "mood": [
        "I just cried every day, I could not see the point.",
        "I felt very low, lower than I have ever been.",
        "My doctor put me on something for the depression.",
    ],
    "body_image": [
        "I do not wear skirts anymore because of the scars.",
        "I did not recognise my own body.",
        "I felt like a different person in the mirror.",
    ],
    "hope": [
        "When the wound started to close I finally believed I would get better.",
        "I have plans again, small ones, but plans.",
        "Every week it looked a little better, and that kept me going.",
    ],
    "acceptance": [
        "I have made my peace with it, it is part of me now.",
        "You learn to live with it, there is no other way.",
        "I stopped asking why me.",
    ],
    "faith": [
        "My faith got me through, I prayed every night.",
        "The people at my church brought meals for weeks.",
    ],
    "meaning_making": [
        "I think it taught me what really matters.",
        "I try to see it as something I was meant to learn from.",
    ],
    "provider_knowledge": [
        "Most of the doctors had never heard of it.",
        "I had to explain my own disease to the nurses.",
        "The GP looked it up on his computer in front of me.",
        "Only one specialist, Dr. Brannagh, had seen a case before.",
    ],
    "communication": [
        "I wanted them to be honest with me, and they were not.",
        "Nobody sat down and explained what was happening.",
        "When she told me straight how serious it was, I was grateful.",
        "I heard about the prognosis from a leaflet, not from a person.",
    ],
    "empathy": [
        "One nurse held my hand during the dressing, I will never forget it.",
        "They talked about me as if I was not in the room.",
        "What helped most was someone who actually listened.",
        "The doctor said he was sorry, and I believed him.",
    ],
    "family_support": [
        "My daughter Tamsin moved back home to look after me.",
        "My friends took turns driving me to appointments.",
        "I could not have done it without my family.",
        "My sister Odile phoned every single evening.",
    ],
    "caregiver_burden": [
        "I worry what all this has done to my husband.",
        "My son had to take time off work to care for me.",
        "I felt like a burden on everyone.",
    ],
    "isolation": [
        "I stopped seeing people, I did not want them to see me like that.",
        "It was a lonely time, just me and the four walls.",
        "Friends stopped calling after a while.",
    ],
    "stigma": [
        "People stare at my legs in the shop.",
        "I wear long trousers even in summer so nobody asks.",
    ],
    "financial_strain": [
        "The taxis to the hospital cost a fortune.",
        "We had to use our savings for the dressings and the travel.",
        "Money was tight, and the illness made it tighter.",
    ],
    "work_loss": [
        "I had to give up my job, and I loved that job.",
        "I went part-time and then I stopped altogether.",
        "My employer was patient, but in the end I had to leave.",
    ],
    "peer_support": [
        "I wish I had met someone else who had been through it.",
        "I found a group online and for the first time I felt understood.",
        "Talking to another patient helped more than any leaflet.",
    ],
    # Erythromelalgia-only codes.
    "burning_flares": [
        "My feet go bright red and feel like they are on fire.",
        "A flare starts in my toes and climbs up to my knees.",
        "It is like standing on hot coals, all evening.",
        "My hands burned so much I could not hold a cup.",
    ],
    "heat_triggers": [
        "A warm room is enough to set it off.",
        "Walking for ten minutes in summer means a flare for hours.",
        "I cannot sleep under a duvet, the warmth sets it off.",
        "Even a hot drink can start it.",
    ],
    "cooling_behaviours": [
        "I keep a fan pointed at my feet all night.",
        "I used to put my feet in a bucket of ice water for hours.",
        "The cold bathroom floor is the only place I get relief.",
        "I carry a cool pack in my bag everywhere I go.",
    ],
    "skin_damage_cooling": [
        "Soaking so much gave me sores that got infected.",
        "The doctor said the ice was damaging my skin more than the disease.",
        "My feet cracked and peeled from being in water all the time.",
    ],
    "clothing_footwear": [
        "I wear sandals even in the snow.",
        "I have not worn socks in years.",
        "Finding shoes I can stand is a project every season.",
    ],
    "medication_trials": [
        "I have tried about a dozen medicines and none of them really worked.",
        "Every new tablet came with a new side effect.",
        "They would try something for six weeks, then try something else.",
        "We started the new cream on 20 April and nothing changed.",
    ],
    "genetic_testing": [
        "The gene test finally explained why it started when I was a child.",
        "My test came back negative, which somehow made it more confusing.",
        "They tested my mother too, because it can run in families.",
    ],
    "seasonal_planning": [
        "Summer is the season I dread, I plan everything around it.",
        "We moved my desk to the coolest room in the house.",
        "Holidays have to be somewhere cold, or not at all.",
    ],
    "disbelief": [
        "They told me it was anxiety and sent me home.",
        "A doctor said I was soaking my feet because I wanted attention.",
        "Nobody believed me until they saw a flare with their own eyes.",
        "At school they thought I was making it up to skip sport.",
    ],
    "self_advocacy": [
        "I printed the research papers and took them to every appointment.",
        "I had to push and push to get the referral.",
        "I learned to say exactly what I needed, without apologising.",
    ],
    "awareness_advocacy": [
        "I explain it to anyone who asks, because nobody has heard of it.",
        "We did a sponsored walk in the cool of the morning to raise money.",
    ],
}

# Small openings so repeated quotes do not look copied from one transcript to the next.
OPENINGS = ["", "", "", "Honestly, ", "I would say ", "You know, ", "To be honest, ", "Well, "]


def _lower_first(text: str) -> str:
    return text if text.startswith(("I ", "I'", "Dr.")) else text[0].lower() + text[1:]


@dataclass(frozen=True)
class Person:
    participant_id: str
    age: int
    sex: str
    group: str  # disease_status or onset
    extra: str  # dialysis (calciphylaxis) or "" (erythromelalgia)


def _calciphylaxis_people(rng: random.Random) -> list[Person]:
    ages = [38, 44, 49, 52, 55, 57, 58, 60, 61, 63, 64, 65, 67, 72, 80]
    assert len(ages) == 15 and sum(ages) == 59 * 15, "mean age must be exactly 59"
    status = ["Remission"] * 9 + ["Active"] * 6
    sex = ["Female"] * 12 + ["Male"] * 3
    dialysis = ["yes"] * 11 + ["no"] * 4
    for values in (ages, status, sex, dialysis):
        rng.shuffle(values)
    return [Person(f"P{i + 1:02d}", ages[i], sex[i], status[i], dialysis[i]) for i in range(15)]


def _erythromelalgia_people(rng: random.Random) -> list[Person]:
    ages = [rng.randint(19, 72) for _ in range(24)]
    onset = ["Childhood"] * 9 + ["Adult"] * 15
    sex = ["Female"] * 16 + ["Male"] * 8
    for values in (onset, sex):
        rng.shuffle(values)
    # Childhood onset is more common among the younger participants.
    people = []
    for i in range(24):
        age = ages[i] if onset[i] == "Adult" else min(ages[i], rng.randint(19, 45))
        people.append(Person(f"EM{i + 1:02d}", age, sex[i], onset[i], ""))
    return people


def _voiced_codes(
    person: Person, nodes: list[Node], groups: tuple[str, str], rng: random.Random
) -> list[str]:
    voiced = []
    for node in nodes:
        if node.p is None:
            continue
        p = node.p[groups.index(person.group)]
        if node.code_id == "dialysis_burden" and person.extra == "no":
            p = 0.0
        if rng.random() < p:
            voiced.append(node.code_id)
    return voiced


@dataclass
class Segment:
    participant_id: str
    code_id: str
    quote: str
    source: str
    start: int
    end: int
    coder: str


def _segments_for(person: Person, codes: list[str], rng: random.Random) -> list[Segment]:
    """coder_a's segments for one transcript, in transcript order with character offsets."""
    picks: list[tuple[str, str]] = []
    for code in codes:
        bank = QUOTES[code]
        k = 1 + (rng.random() < 0.45) + (rng.random() < 0.12)
        for quote in rng.sample(bank, min(k, len(bank))):
            opening = rng.choice(OPENINGS)
            picks.append((code, opening + _lower_first(quote) if opening else quote))
    rng.shuffle(picks)
    source = f"interview-{person.participant_id}.txt"
    position = rng.randint(300, 900)  # consent and warm-up questions come first
    segments = []
    for code, quote in picks:
        start = position
        end = start + len(quote)
        segments.append(Segment(person.participant_id, code, quote, source, start, end, "coder_a"))
        position = end + rng.randint(150, 2500)
    return segments


def _second_coder(segments: list[Segment], nodes: list[Node], rng: random.Random) -> list[Segment]:
    """coder_b's segments for a double-coded transcript: mostly the same codes, not all."""
    parent = {n.code_id: n.parent_id for n in nodes}
    siblings: dict[str, list[str]] = {}
    for n in nodes:
        if n.p is not None:
            siblings.setdefault(n.parent_id, []).append(n.code_id)
    out = []
    for seg in segments:
        roll = rng.random()
        if roll < 0.80:
            code = seg.code_id
        elif roll < 0.90:  # a neighbouring code in the same theme
            others = [c for c in siblings[parent[seg.code_id]] if c != seg.code_id]
            if not others:
                continue
            code = rng.choice(others)
        else:  # missed
            continue
        out.append(
            Segment(seg.participant_id, code, seg.quote, seg.source, seg.start, seg.end, "coder_b")
        )
    return out


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _interview_order(
    people: list[Person], voiced: dict[str, list[str]], rng: random.Random
) -> dict[str, int]:
    # Richer interviews tend to come first (snowballing from the most engaged clinic patients),
    # so saturation is reachable; the noise keeps the order from being a strict ranking.
    keyed = sorted(
        people, key=lambda p: (-len(voiced[p.participant_id]) + rng.gauss(0, 3), p.participant_id)
    )
    return {p.participant_id: i + 1 for i, p in enumerate(keyed)}


def build(
    name: str,
    nodes: list[Node],
    people: list[Person],
    groups: tuple[str, str],
    *,
    rng: random.Random,
    uncoded: set[str],
    double_coded: int,
) -> dict[str, int]:
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    voiced = {
        p.participant_id: []
        if p.participant_id in uncoded
        else _voiced_codes(p, nodes, groups, rng)
        for p in people
    }
    order = _interview_order(people, voiced, rng)
    segments: list[Segment] = []
    coded_people = [p for p in people if voiced[p.participant_id]]
    second = {p.participant_id for p in rng.sample(coded_people, double_coded)}
    for person in people:
        first = _segments_for(person, voiced[person.participant_id], rng)
        segments.extend(first)
        if person.participant_id in second:
            segments.extend(_second_coder(first, nodes, rng))
    segments.sort(key=lambda s: (s.participant_id, s.start, s.coder))

    if name == "calciphylaxis":
        header = ["participant_id", "age", "sex", "disease_status", "dialysis", "interview_order"]
        rows: list[list[object]] = [
            [p.participant_id, p.age, p.sex, p.group, p.extra, order[p.participant_id]]
            for p in people
        ]
    else:
        header = ["participant_id", "age", "sex", "onset", "interview_order"]
        rows = [[p.participant_id, p.age, p.sex, p.group, order[p.participant_id]] for p in people]
    _write_csv(folder / "participants.csv", header, rows)
    _write_csv(
        folder / "codebook.csv",
        ["code_id", "label", "parent_id", "description"],
        [[n.code_id, n.label, n.parent_id, n.description] for n in nodes],
    )
    _write_csv(
        folder / "codings.csv",
        ["participant_id", "code_id", "quote", "source", "start", "end", "coder"],
        [
            [s.participant_id, s.code_id, s.quote, s.source, s.start, s.end, s.coder]
            for s in segments
        ],
    )
    return {"participants": len(people), "segments": len(segments), "double_coded": len(second)}


def _check(nodes: list[Node]) -> None:
    ids = [n.code_id for n in nodes]
    assert len(ids) == len(set(ids)), "duplicate code ids"
    known = set(ids)
    for n in nodes:
        assert n.parent_id == "" or n.parent_id in known, n.code_id
        if n.p is not None:
            assert n.code_id in QUOTES, f"no quotes for {n.code_id}"


def main() -> None:
    _check(CALCIPHYLAXIS)
    _check(ERYTHROMELALGIA)
    rng = random.Random(20240515)
    calci = build(
        "calciphylaxis",
        CALCIPHYLAXIS,
        _calciphylaxis_people(rng),
        ("Active", "Remission"),
        rng=rng,
        uncoded={"P11"},
        double_coded=5,
    )
    rng = random.Random(20240611)
    ery = build(
        "erythromelalgia",
        ERYTHROMELALGIA,
        _erythromelalgia_people(rng),
        ("Childhood", "Adult"),
        rng=rng,
        uncoded=set(),
        double_coded=6,
    )
    print(f"calciphylaxis: {calci}", file=sys.stderr)
    print(f"erythromelalgia: {ery}", file=sys.stderr)


if __name__ == "__main__":
    main()
