"""Clinical keyword metrics: facts read with a pathology lexicon, scored fact by fact.

`lexicon` loads the concepts, `extract` reads facts (spaCy, values, negation), `sections`
finds a report's diagnosis section, `severity` says what each error weighs, `scores` holds
the maths, `group` is the "clinical" metric group of `reg-eval score --metrics`.
"""
