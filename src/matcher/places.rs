//! Names of places a policy question may be about. A message naming a place
//! the knowledge never mentions ("Texas", "Alabama") asks about somewhere
//! else, which is strong evidence that no entry answers it.

/// US states and territories, and neighbouring countries, one telling word
/// each ("carolina" for both Carolinas). Words that are also common English
/// words ("Maine") are left out.
pub const PLACES: &[&str] = &[
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware", "florida",
    "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maryland",
    "massachusetts", "michigan", "minnesota", "missouri", "montana", "nebraska", "nevada", "hampshire", "jersey",
    "mexico", "york", "carolina", "dakota", "ohio", "oklahoma", "oregon", "pennsylvania", "rhode", "tennessee",
    "texas", "utah", "vermont", "virginia", "washington", "wisconsin", "wyoming", "puerto", "guam", "canada",
    "mexican", "texan", "californian", "floridian",
];
