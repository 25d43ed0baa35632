//! Words for `random_pet` names: adverbs, adjectives and animals, short and plain.

use rand::Rng;

const ADVERBS: &[&str] = &[
    "boldly",
    "briskly",
    "calmly",
    "cheerfully",
    "closely",
    "deeply",
    "eagerly",
    "easily",
    "evenly",
    "fairly",
    "firmly",
    "freely",
    "gently",
    "gladly",
    "happily",
    "highly",
    "kindly",
    "lightly",
    "loudly",
    "neatly",
    "nicely",
    "openly",
    "partly",
    "politely",
    "promptly",
    "quickly",
    "quietly",
    "rapidly",
    "rarely",
    "safely",
    "sharply",
    "simply",
    "slowly",
    "smoothly",
    "softly",
    "solidly",
    "steadily",
    "surely",
    "swiftly",
    "truly",
    "warmly",
    "wildly",
    "wisely",
];

const ADJECTIVES: &[&str] = &[
    "able", "amber", "ample", "azure", "bold", "brave", "bright", "brisk", "calm", "clever",
    "cosmic", "crisp", "daring", "eager", "early", "fair", "fancy", "fast", "fine", "fluent",
    "fond", "frank", "fresh", "gentle", "glad", "golden", "grand", "handy", "happy", "hardy",
    "honest", "humble", "jolly", "keen", "kind", "lively", "loyal", "lucky", "mellow", "merry",
    "mighty", "modest", "neat", "nimble", "noble", "patient", "plucky", "polite", "proud", "quick",
    "quiet", "rapid", "ready", "robust", "rosy", "sharp", "shiny", "silent", "smart", "snappy",
    "solid", "steady", "sunny", "super", "sweet", "swift", "tidy", "tough", "trusty", "vivid",
    "warm", "wise", "witty", "zesty",
];

const ANIMALS: &[&str] = &[
    "alpaca", "badger", "beaver", "bison", "bobcat", "camel", "caribou", "cheetah", "cobra",
    "condor", "cougar", "coyote", "crane", "dingo", "dolphin", "eagle", "egret", "falcon",
    "ferret", "finch", "gazelle", "gecko", "gibbon", "giraffe", "gopher", "grouse", "hare",
    "heron", "hippo", "ibex", "iguana", "impala", "jackal", "jaguar", "kestrel", "koala", "lemur",
    "leopard", "llama", "lynx", "magpie", "marmot", "marten", "meerkat", "mink", "moose",
    "narwhal", "newt", "ocelot", "orca", "osprey", "otter", "owl", "panda", "panther", "parrot",
    "pelican", "penguin", "puffin", "quail", "rabbit", "raven", "reindeer", "robin", "salmon",
    "seal", "shrew", "skunk", "sloth", "sparrow", "squid", "stork", "swan", "tapir", "tiger",
    "toucan", "trout", "turtle", "walrus", "weasel", "whale", "wombat", "wren", "yak", "zebra",
];

/// A name of `length` words (adverbs, then one adjective, then an animal), `prefix` first.
pub fn pet(rng: &mut impl Rng, length: usize, separator: &str, prefix: Option<&str>) -> String {
    let pick =
        |rng: &mut dyn rand::RngCore, list: &[&str]| list[rng.gen_range(0..list.len())].to_string();
    let mut words: Vec<String> = Vec::with_capacity(length + 1);
    if let Some(p) = prefix {
        words.push(p.to_string());
    }
    for _ in 0..length.saturating_sub(2) {
        words.push(pick(rng, ADVERBS));
    }
    if length >= 2 {
        words.push(pick(rng, ADJECTIVES));
    }
    words.push(pick(rng, ANIMALS));
    words.join(separator)
}
