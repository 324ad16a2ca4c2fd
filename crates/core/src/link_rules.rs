//! The rules every link-time registry keeps, of backends and of node kinds alike: entries
//! sorted by name, no name twice, and a suggestion for a name that is not there.

use crate::diagnostics::RegistrationSite;

/// A name registered more than once, kept to rebuild the error on every call.
pub(crate) struct Duplicate {
    pub(crate) name: &'static str,
    pub(crate) sites: Vec<RegistrationSite>,
}

/// Sorts registrations by name (then site) and refuses a name that appears twice: the one
/// rule both registries, of backends and of node kinds, follow.
pub(crate) fn sorted_unique<T: ?Sized>(
    mut entries: Vec<&'static T>,
    key: impl Fn(&T) -> (&'static str, RegistrationSite),
) -> Result<Vec<&'static T>, Duplicate> {
    entries.sort_by_key(|r| key(r));
    if let Some(pair) = entries.windows(2).find(|w| key(w[0]).0 == key(w[1]).0) {
        let name = key(pair[0]).0;
        let sites = entries
            .iter()
            .map(|r| key(r))
            .filter(|(n, _)| *n == name)
            .map(|(_, site)| site)
            .collect();
        return Err(Duplicate { name, sites });
    }
    Ok(entries)
}

/// The linked name closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn suggest(name: &str, names: &[&'static str]) -> Option<&'static str> {
    names
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
        .filter(|&(distance, candidate)| distance <= candidate.len().max(name.len()).div_ceil(3))
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["native", "nats"];
        assert_eq!(suggest("nativ", &names), Some("native"));
        assert_eq!(suggest("nast", &names), Some("nats"));
        assert_eq!(suggest("kubernetes", &names), None);
    }
}
