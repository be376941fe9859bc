//! Synthetic knowledge for measuring scale: a deterministic, seeded
//! generator of N FAQ entries across many jurisdictions and topics, with the
//! shared boilerplate, bills, years, agencies and claims real policy FAQs
//! have, and chat-style questions about them. The same seed always gives the
//! same knowledge, so benchmark runs compare like with like.

use policybot::knowledge::{Claim, ClaimStatus, Entry};

/// A small, fast, deterministic generator (SplitMix64); the standard
/// library has none and benchmarks must not depend on a crate's changing
/// stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

#[rustfmt::skip]
const PLACES: &[&str] = &[
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
    "Harris County",
    "Cook County",
    "Maricopa County",
    "the City of Jackson",
    "the City of Memphis",
    "the City of Tulsa",
    "Orange County",
    "King County",
    "the City of Boise",
    "Travis County",
];

/// Topics, each with the subjects a question can be about.
#[rustfmt::skip]
pub const TOPICS: &[(&str, &[&str])] = &[
    (
        "Immigration enforcement",
        &[
            "ICE detainers",
            "287(g) agreements",
            "sanctuary policies",
            "immigration checks at traffic stops",
            "jail access for ICE",
            "E-Verify requirements",
        ],
    ),
    (
        "Housing",
        &[
            "rent control",
            "eviction protections",
            "public housing waitlists",
            "zoning reform",
            "short-term rentals",
            "homeless shelters",
        ],
    ),
    (
        "Voting",
        &[
            "voter ID",
            "mail-in ballots",
            "early voting",
            "voter registration deadlines",
            "felon voting rights",
            "polling place hours",
        ],
    ),
    (
        "Education",
        &[
            "school funding",
            "charter schools",
            "teacher pay",
            "school vouchers",
            "student loan relief",
            "school lunch programs",
        ],
    ),
    (
        "Healthcare",
        &[
            "Medicaid expansion",
            "abortion access",
            "prescription drug prices",
            "rural hospitals",
            "mental health services",
            "vaccine requirements",
        ],
    ),
    (
        "Taxes",
        &[
            "property tax relief",
            "sales tax on groceries",
            "income tax rates",
            "tax credits for families",
            "gas taxes",
            "business tax incentives",
        ],
    ),
    (
        "Policing",
        &[
            "police body cameras",
            "civilian oversight boards",
            "use of force rules",
            "no-knock warrants",
            "police funding",
            "traffic camera tickets",
        ],
    ),
    (
        "Employment",
        &[
            "minimum wage",
            "paid sick leave",
            "unemployment benefits",
            "right-to-work laws",
            "workplace safety inspections",
            "child labor rules",
        ],
    ),
    (
        "Environment",
        &[
            "water quality standards",
            "coal plant closures",
            "plastic bag bans",
            "flood insurance",
            "wildfire prevention",
            "solar incentives",
        ],
    ),
    (
        "Transportation",
        &[
            "road repair funding",
            "public transit fares",
            "speed limits",
            "driver's license rules",
            "toll roads",
            "electric vehicle fees",
        ],
    ),
    (
        "Criminal justice",
        &[
            "cash bail",
            "expungement of records",
            "sentencing reform",
            "private prisons",
            "juvenile detention",
            "drug courts",
        ],
    ),
    (
        "Benefits",
        &[
            "SNAP benefits",
            "child care subsidies",
            "disability benefits",
            "veterans benefits",
            "energy assistance",
            "WIC eligibility",
        ],
    ),
];

#[rustfmt::skip]
const AGENCIES: &[&str] = &[
    "Department of Public Safety",
    "Attorney General's Office",
    "Department of Revenue",
    "Department of Health",
    "Secretary of State",
    "Department of Labor",
    "Department of Education",
    "Housing Authority",
    "Department of Transportation",
    "Department of Human Services",
    "Environmental Quality Board",
    "Office of the Inspector General",
];

#[rustfmt::skip]
const GROUPS: &[&str] = &[
    "American Civil Liberties Union",
    "League of Women Voters",
    "Southern Poverty Law Center",
    "Urban Institute",
    "Legal Aid Society",
    "Chamber of Commerce",
    "Policy Research Center",
    "Tenants Union",
    "Taxpayers Alliance",
    "Public Health Coalition",
];

/// Question forms; `{p}` is the place, `{s}` the subject.
#[rustfmt::skip]
const QUESTIONS: &[&str] = &[
    "What are the current {s} policies in {p}?",
    "How does {p} handle {s}?",
    "Are there any recent changes to {s} rules in {p}?",
    "Who enforces {s} in {p}?",
    "What legal authority governs {s} in {p}?",
    "How do {s} policies in {p} compare with other states?",
    "How do {s} rules affect residents of {p}?",
    "Are there court cases about {s} in {p}?",
    "Which groups are working to change {s} in {p}?",
    "What role do lawmakers play in {s} in {p}?",
    "How is {s} funded in {p}?",
    "What changes to {s} are expected in {p}?",
    "How can residents of {p} report problems with {s}?",
    "Is there data on the impact of {s} in {p}?",
    "What are the penalties for breaking {s} rules in {p}?",
    "Who qualifies under the {s} rules in {p}?",
];

/// Who a question is about; the empty one is the general question.
#[rustfmt::skip]
const AUDIENCES: &[&str] = &[
    "",
    "for seniors",
    "for veterans",
    "for students",
    "for small businesses",
    "for landlords",
    "for tenants",
    "for farmers",
    "for immigrants",
    "for people with disabilities",
    "for families with children",
    "for nonprofits",
    "for rural residents",
    "for city residents",
    "for state employees",
    "for teachers",
    "for nurses",
    "for truck drivers",
    "for new residents",
    "for college graduates",
    "for retirees",
    "for parents",
    "for minors",
    "for gig workers",
];

/// Alternative phrasings a moderator might add as aliases.
#[rustfmt::skip]
const ALIASES: &[&str] =
    &["{s} in {p}?", "What is the law on {s} in {p}?", "Tell me about {s} in {p}", "Does {p} have rules on {s}?"];

/// Generates `n` entries (at most about 1.6 million distinct ones) with ids
/// `e000000`…, sorted by id.
pub fn entries(n: usize, seed: u64) -> Vec<Entry> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let subjects: Vec<(&str, &str)> =
        TOPICS.iter().flat_map(|(topic, subjects)| subjects.iter().map(move |s| (*topic, *s))).collect();
    // Every entry is a distinct (place, subject, question form, audience).
    // Scrambling the index with a multiplier coprime to the number of
    // combinations spreads even a small N over many places and topics.
    let combinations = PLACES.len() * subjects.len() * QUESTIONS.len() * AUDIENCES.len();
    for i in 0..n {
        let j = (i as u64 * 1_000_003 + seed) % combinations as u64;
        let j = j as usize;
        let place = PLACES[j % PLACES.len()];
        let (topic, subject) = subjects[(j / PLACES.len()) % subjects.len()];
        let form = QUESTIONS[(j / (PLACES.len() * subjects.len())) % QUESTIONS.len()];
        let audience = AUDIENCES[(j / (PLACES.len() * subjects.len() * QUESTIONS.len())) % AUDIENCES.len()];
        let mut question = form.replace("{p}", place).replace("{s}", subject);
        if !audience.is_empty() {
            question = format!("{} {audience}?", question.trim_end_matches('?'));
        }
        // One law per place and subject, always with the same number and
        // year, as in a real FAQ (the lint would rightly flag anything else).
        let law = j % (PLACES.len() * subjects.len());
        let bill = format!("{} Bill {}", if law.is_multiple_of(2) { "Senate" } else { "House" }, 1000 + law);
        let year = 1990 + (law * 7) % 35;
        let agency = rng.pick(AGENCIES);
        let group = rng.pick(GROUPS);
        let share = 5 + rng.below(60);
        let sentences = [
            format!("{place} regulates {subject} through {bill}, which was signed into law in {year}."),
            format!(
                "The {agency} is responsible for enforcing the rules on {subject} and publishes guidance every year."
            ),
            format!(
                "About {share} percent of residents are affected by the current {subject} policies, according to the {group}."
            ),
            "Local governments may adopt additional rules, so the details can vary from one county or city to another."
                .to_owned(),
            format!(
                "Critics argue that the policies on {subject} go too far, while supporters say they protect public safety and fairness."
            ),
            format!("Residents with questions can contact the {agency} or a legal aid organization for help."),
        ];
        let take = 3 + rng.below(4);
        let answer = sentences[..take].join(" ");
        let claims: Vec<Claim> = sentences[..take.min(3)]
            .iter()
            .map(|s| Claim {
                text: s.clone(),
                status: if rng.chance(10) { ClaimStatus::Verified } else { ClaimStatus::Unverified },
                ..Claim::default()
            })
            .collect();
        let aliases: Vec<String> = (0..rng.below(3))
            .map(|_| rng.pick(ALIASES).replace("{p}", place).replace("{s}", subject))
            .filter(|a| *a != question)
            .collect();
        out.push(Entry {
            id: format!("e{i:06}"),
            topic: topic.to_owned(),
            question,
            aliases,
            asked: Vec::new(),
            answer,
            claims,
            reviewed: None,
            disclaimer: None,
            translations: Default::default(),
            location: Default::default(),
        });
    }
    out
}

/// The synonym groups a moderator of such a knowledge base would write.
pub fn synonyms() -> Vec<Vec<String>> {
    [
        &["ice", "immigration and customs enforcement", "deportation agents"][..],
        &["police", "law enforcement", "cops", "officers"],
        &["lawmakers", "legislators", "legislature"],
        &["rules", "regulations", "policies", "laws"],
        &["residents", "people", "citizens"],
        &["court cases", "lawsuits", "legal challenges"],
    ]
    .iter()
    .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
    .collect()
}

/// Chat-style questions about the entries: the stored question or an alias
/// with words dropped, abbreviations and a typo, plus off-topic messages.
/// Returns `(message, id of the entry it was made from)`.
pub fn questions(entries: &[Entry], n: usize, seed: u64) -> Vec<(String, Option<String>)> {
    let mut rng = Rng::new(seed ^ 0x5eed);
    const OFF_TOPIC: &[&str] = &[
        "what's the weather this weekend",
        "recommend a good book for a long flight",
        "how do I get ice off my windshield",
        "who won the game last night",
        "tell me a joke about cats",
    ];
    (0..n)
        .map(|i| {
            if entries.is_empty() || i % 10 == 9 {
                return ((*rng.pick(OFF_TOPIC)).to_owned(), None);
            }
            let entry = rng.pick(entries);
            let base =
                if !entry.aliases.is_empty() && rng.chance(30) { rng.pick(&entry.aliases) } else { &entry.question };
            let mut words: Vec<String> = base.split_whitespace().map(str::to_lowercase).collect();
            if words.len() > 5 && rng.chance(50) {
                words.remove(rng.below(words.len()));
            }
            let k = rng.below(words.len());
            if words[k].len() > 6 {
                // A dropped letter, the commonest phone typo.
                let mut chars: Vec<char> = words[k].chars().collect();
                chars.remove(1 + rng.below(chars.len() - 2));
                words[k] = chars.into_iter().collect();
            }
            (words.join(" "), Some(entry.id.clone()))
        })
        .collect()
}
