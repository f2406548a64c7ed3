"""Word lists for telling a name from an ordinary word.

Common English comes from zxcvbn's frequency lists (already a dependency, for passphrase
strength: Wikipedia and film/TV word frequencies, and US first names and surnames from the
census), loaded only when a summary is made. The lists below add what a clinical note says that
those lists lack, and the capitalised words that are not names (weekdays, languages, drugs).
"""

from __future__ import annotations

from functools import cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words a therapy note uses that the frequency lists miss or that they list as names.
CLINICAL = _words(
    """
    client clients therapist counselor counsellor clinician psychiatrist psychologist patient
    mother father mom dad sister brother son daughter wife husband partner spouse boyfriend
    girlfriend fiance fiancee roommate boss manager supervisor coworker co-worker colleague
    teacher neighbor neighbour cousin aunt uncle grandmother grandfather grandma grandpa niece
    nephew stepmother stepfather stepson stepdaughter child children baby infant toddler teen
    subjective objective assessment plan data behavior behaviour intervention response goal
    goals progress summary session sessions intake discharge diagnosis diagnoses prognosis
    anxiety depression depressive anxious panic insomnia rumination ruminating ruminative
    trauma traumatic grief bereavement mood affect euthymic dysthymic dysphoric anhedonia
    ideation suicidal homicidal self-harm cutting relapse sobriety craving cravings
    medication medications sertraline fluoxetine escitalopram citalopram paroxetine
    bupropion venlafaxine duloxetine mirtazapine trazodone quetiapine aripiprazole lithium
    lamotrigine buspirone hydroxyzine clonazepam lorazepam alprazolam diazepam prazosin
    propranolol methylphenidate amphetamine atomoxetine naltrexone buprenorphine melatonin
    cbt dbt act emdr ipt mbct psychoeducation mindfulness grounding journaling homework
    coping skills exposure hierarchy reframing cognitive behavioral behavioural dialectical
    motivational interviewing validation rapport alliance attunement regulation dysregulation
    hypervigilance avoidance flashbacks nightmares dissociation dissociative intrusive
    obsessive compulsive ptsd ocd adhd gad mdd bpd asd phq gad-7 phq-9 pcl-5 audit-c
    orientation oriented appearance speech thought insight judgment judgement cooperative
    tearful guarded irritable labile congruent incongruent linear tangential circumstantial
    denies denied endorses endorsed reports reported states stated presents presented
    discussed explored processed practiced practised reviewed identified completed agreed
    rated scored scale score scores baseline follow-up followup next continue continued
    weekly biweekly monthly telehealth in-person video virtual modality frequency duration
    safety risk protective factors stressors support supports strengths barriers referral
    consult consultation supervision supervisor's supervisee worksheet workbook
    overall today tonight yesterday tomorrow recently currently previously additionally
    however although despite because therefore also both each every several
    """
)

# Capitalised words that are not personal names or places smaller than a state.
NOT_NAMES = _words(
    """
    i i'm i've i'd i'll monday tuesday wednesday thursday friday saturday sunday
    english spanish french german italian portuguese chinese mandarin cantonese japanese
    korean vietnamese tagalog arabic hebrew hindi urdu russian polish greek asl
    american african asian european hispanic latino latina latinx black white native
    christian catholic protestant jewish muslim hindu buddhist mormon atheist agnostic
    god jesus bible quran torah christmas easter thanksgiving
    internet google facebook instagram twitter tiktok snapchat youtube reddit zoom
    covid covid-19 medicaid medicare tricare hipaa dsm dsm-5 icd icd-10 cpt
    zoloft prozac lexapro celexa paxil wellbutrin effexor cymbalta remeron desyrel
    seroquel abilify lamictal buspar vistaril klonopin ativan xanax valium adderall ritalin
    concerta vyvanse strattera suboxone vivitrol narcan ambien lunesta tylenol advil
    beck likert socratic freudian jungian rogerian gottman linehan
    aa na al-anon alcoholics anonymous narcotics
    er ed icu iop php rtc snf pcp ob gyn dx rx hx tx sx pt prn bid tid qhs
    """
)

# Well-known instruments and eponyms whose words would otherwise look like names.
SAFE_PHRASES = (
    "Beck Depression Inventory",
    "Beck Anxiety Inventory",
    "Columbia Suicide Severity Rating Scale",
    "Columbia Protocol",
    "Hamilton Rating Scale",
    "Hamilton Anxiety Rating Scale",
    "Hamilton Depression Rating Scale",
    "Alcoholics Anonymous",
    "Narcotics Anonymous",
    "Safety Plan",
)

# Endings that English words have and personal names almost never do.
WORD_ENDINGS = (
    "tion",
    "sion",
    "ness",
    "ment",
    "ity",
    "ing",
    "ed",
    "ly",
    "ive",
    "ous",
    "ful",
    "less",
    "able",
    "ible",
    "ism",
    "ist",
    "ize",
    "ise",
    "ology",
    "pam",
    "lam",
    "ine",
    "ide",
)


@cache
def common_words() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(
        (*FREQUENCY_LISTS["english_wikipedia"], *FREQUENCY_LISTS["us_tv_and_film"], *CLINICAL)
    )


@cache
def personal_names() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(
        (
            *FREQUENCY_LISTS["female_names"],
            *FREQUENCY_LISTS["male_names"],
            *FREQUENCY_LISTS["surnames"],
        )
    )
