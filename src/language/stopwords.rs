//! Stop words added to Snowball's lists (Lucene's for English), one list per
//! language of the [registry](super).
//!
//! Snowball's lists are about function words in running text. Support
//! questions add their own: question words and modal verbs ("how can I",
//! "wie kann ich", "где можно") that occur in every question and in no
//! answer. They are removed at index time too, so index and query agree.
//! (Japanese, Korean and Chinese drop function words by part of speech, in
//! their segmenters.)

pub const ENGLISH_EXTRA: &[&str] = &[
    "how", "what", "where", "why", "when", "which", "who", "whom", "whose", "do", "does", "did",
    "doing", "done", "can", "could", "should", "would", "may", "might", "must", "shall", "i", "me",
    "my", "mine", "we", "us", "our", "ours", "you", "your", "yours", "he", "she", "him", "her",
    "his", "its", "them", "am", "been", "being", "have", "has", "had", "having", "so", "from",
    "about", "any", "some", "there", "here", "i'm", "i've", "we're", "we've", "can't", "cannot",
    "don't", "doesn't", "didn't", "isn't", "aren't", "won't", "also", "just", "very", "than",
    "too", "own", "same", "each", "other", "again", "please",
];

pub const FRENCH_EXTRA: &[&str] = &[
    "comment", "où", "quand", "pourquoi", "quel", "quelle", "quels", "quelles", "lequel",
    "laquelle", "peux", "peut", "peuvent", "pouvons", "pouvez", "puis", "dois", "doit", "doivent",
    "devons", "faut", "faire", "est-ce", "cela", "ça", "ceci", "très", "aussi", "plus", "dans",
    "sans", "sous", "vers", "chez", "leur", "leurs", "nos", "notre", "votre", "vos",
];

pub const GERMAN_EXTRA: &[&str] = &[
    "wie", "wo", "was", "warum", "wann", "welche", "welcher", "welches", "welchen", "wer", "wen",
    "kann", "können", "könnte", "muss", "müssen", "soll", "sollte", "darf", "dürfen", "möchte",
    "ich", "wir", "uns", "unser", "unsere", "unseren", "unserem", "ihr", "ihre", "mein", "meine",
    "bitte", "woher", "wohin", "worauf", "wozu", "lange", "viele",
];

pub const SPANISH_EXTRA: &[&str] = &[
    "cómo", "como", "dónde", "donde", "qué", "que", "cuándo", "cuando", "cuál", "cuáles", "quién",
    "quiénes", "puedo", "puede", "pueden", "podemos", "debo", "debe", "deben", "debemos", "hacer",
    "hay", "nuestro", "nuestra", "nuestros", "nuestras", "mi", "mis", "tu", "tus", "usted",
    "ustedes", "cuánto", "cuánta", "cuántos", "cuántas",
];

pub const RUSSIAN_EXTRA: &[&str] = &[
    "где",
    "как",
    "почему",
    "когда",
    "какой",
    "какая",
    "какое",
    "какие",
    "каким",
    "каких",
    "можно",
    "нужно",
    "надо",
    "ли",
    "мне",
    "мы",
    "нам",
    "нас",
    "наш",
    "наша",
    "наши",
    "нашего",
    "свой",
    "своя",
    "свои",
    "своих",
    "своего",
    "через",
    "сколько",
    "который",
    "которые",
    "это",
    "этот",
    "эта",
    "эти",
];

pub const ITALIAN_EXTRA: &[&str] = &[
    "come", "dove", "quando", "perché", "perche", "quale", "quali", "qual", "chi", "cosa", "posso",
    "può", "puo", "possono", "possiamo", "potete", "devo", "deve", "devono", "dobbiamo", "bisogna",
    "occorre", "fare", "mio", "mia", "miei", "mie", "nostro", "nostra", "nostri", "nostre",
    "vostro", "vostra", "anche", "molto", "vorrei",
];

pub const PORTUGUESE_EXTRA: &[&str] = &[
    "como",
    "onde",
    "quando",
    "porque",
    "qual",
    "quais",
    "quem",
    "posso",
    "pode",
    "podem",
    "podemos",
    "devo",
    "deve",
    "devem",
    "devemos",
    "preciso",
    "precisa",
    "precisamos",
    "fazer",
    "meu",
    "minha",
    "meus",
    "minhas",
    "nosso",
    "nossa",
    "nossos",
    "nossas",
    "também",
    "muito",
    "gostaria",
];

pub const DUTCH_EXTRA: &[&str] = &[
    "hoe", "waar", "wanneer", "waarom", "welke", "welk", "wie", "wat", "kan", "kunnen", "kunt",
    "moet", "moeten", "mag", "mogen", "wil", "willen", "ik", "wij", "we", "ons", "onze", "mijn",
    "jullie", "graag", "ook", "erg",
];
