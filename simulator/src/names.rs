//! Name and place pools for the region's people and addresses: common surnames and given names
//! of London's population, street names, and the postcode districts of each integrated care
//! system. Everything a person is called is an index into these pools.

#[rustfmt::skip]
pub const FAMILY_NAMES: &[&str] = &[
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes",
    "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison",
    "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey",
    "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall",
    "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman",
    "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews",
    "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson",
    "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott",
    "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence",
    "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien",
    "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees",
    "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe",
    "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland",
    "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy",
    "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson",
    "Parry", "Burgess", "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross",
    "Long", "Freeman", "Warren", "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates",
    "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss",
    "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne",
    "Johnston", "Gordon", "Doyle", "Wallace", "George", "Jordan", "Hutchinson", "Rahman", "Okafor",
    "Adeyemi", "Mensah", "Nowak", "Kowalski", "Chen", "Wang", "Nguyen", "Silva", "Santos", "Costa",
    "Yilmaz", "Demir", "Kaya", "Ibrahim", "Mohamed", "Osei", "Boateng", "Adebayo", "Okonkwo",
    "Chowdhury", "Islam", "Miah", "Uddin", "Das", "Sharma", "Gupta", "Mehta", "Joshi", "Rossi",
    "Russo", "Ferrari", "Murphy-Jones", "Papadopoulos", "Georgiou", "Kyriacou", "Novak", "Horvat",
    "Kumar",
];

#[rustfmt::skip]
pub const FEMALE_NAMES: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Willow", "Freya", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
    "Evelyn", "Sienna", "Sofia", "Daisy", "Phoebe", "Sarah", "Alice", "Ruby", "Harper", "Matilda",
    "Maya", "Aisha", "Fatima", "Zara", "Amira", "Hannah", "Chloe", "Jessica", "Emma", "Laura",
    "Rebecca", "Rachel", "Helen", "Claire", "Joanne", "Nicola", "Susan", "Margaret", "Patricia",
    "Elizabeth", "Mary", "Anne", "Jennifer", "Karen", "Linda", "Deborah", "Priya", "Anjali",
    "Nadia", "Yasmin", "Chioma", "Ngozi", "Adaeze", "Ewa", "Agnieszka", "Maria", "Ana", "Elif",
    "Mei", "Lin", "Siobhan", "Niamh", "Aoife", "Bethany", "Katie", "Lucy", "Megan", "Abigail",
];

#[rustfmt::skip]
pub const MALE_NAMES: &[&str] = &[
    "Noah", "Muhammad", "George", "Oliver", "Leo", "Arthur", "Oscar", "Theodore", "Freddie",
    "Archie", "Jack", "Harry", "Charlie", "Henry", "Thomas", "Alfie", "Joshua", "William", "James",
    "Isaac", "Lucas", "Edward", "Mason", "Finley", "Daniel", "Samuel", "Joseph", "Adam",
    "Benjamin", "Max", "David", "Michael", "John", "Paul", "Mark", "Andrew", "Richard", "Robert",
    "Peter", "Stephen", "Christopher", "Anthony", "Kevin", "Gary", "Ian", "Simon", "Matthew",
    "Ahmed", "Omar", "Ibrahim", "Yusuf", "Hassan", "Ravi", "Arjun", "Sanjay", "Vikram", "Chinedu",
    "Emeka", "Kwame", "Kofi", "Tomasz", "Piotr", "Jakub", "Marco", "Luca", "Mehmet", "Emre", "Wei",
    "Jun", "Sean", "Conor", "Patrick", "Liam", "Ryan", "Nathan", "Jordan", "Tyler", "Callum",
    "Ethan",
];

#[rustfmt::skip]
pub const STREETS: &[&str] = &[
    "High Street", "Station Road", "Church Road", "Park Road", "London Road", "Victoria Road",
    "Green Lane", "Manor Road", "Church Street", "Park Avenue", "Queens Road", "Kings Road",
    "Grange Road", "North Road", "South Street", "Albert Road", "Mill Lane", "New Road",
    "Springfield Road", "The Avenue", "Alexandra Road", "Richmond Road", "Stanley Road",
    "York Road", "Highfield Road", "Windsor Road", "Broadway", "Chestnut Grove", "Elm Road",
    "Oak Avenue", "Beech Grove", "Willow Walk", "Cedar Close", "Maple Road", "Ash Grove",
    "Holly Road", "Lime Street", "Poplar Road", "Rosebery Avenue", "Caledonian Road",
    "Holloway Road", "Mare Street", "Roman Road", "Commercial Road", "Brixton Road",
    "Coldharbour Lane", "Walworth Road", "Old Kent Road", "Lordship Lane", "Peckham Rye",
    "Harrow Road", "Kilburn High Road", "Uxbridge Road", "Goldhawk Road", "King Street",
    "Green Street", "Barking Road", "Romford Road", "Lea Bridge Road", "Seven Sisters Road",
    "Stroud Green Road", "Fortis Green", "Muswell Hill Road", "Cricklewood Broadway",
    "Streatham High Road", "Tooting High Street", "Garratt Lane", "Balham High Road",
    "Clapham Road", "Wandsworth Road", "Lavender Hill", "Northcote Road", "Lewisham Way",
    "Deptford High Street", "Rushey Green", "Burnt Ash Hill", "Eltham High Street",
    "Plumstead Road", "Woolwich Road", "Bexley Road", "Chingford Road", "Hoe Street",
    "Forest Road", "Wood Street", "Lordship Road", "Edmonton Green", "Fore Street",
    "Bounds Green Road", "Wightman Road", "Archway Road", "Junction Road", "Fortess Road",
];

/// Postcode districts, one list per integrated care system (North Central, North East, South
/// East, South West, North West London), reused round-robin beyond five systems.
#[rustfmt::skip]
pub const DISTRICTS: &[&[&str]] = &[
    &["N1", "N4", "N7", "N19", "NW1", "NW5", "N8", "N22"],
    &["E1", "E2", "E3", "E5", "E8", "E9", "E15", "E17"],
    &["SE1", "SE5", "SE8", "SE13", "SE15", "SE18", "SE22", "SE6"],
    &["SW2", "SW4", "SW9", "SW11", "SW12", "SW16", "SW17", "SW18"],
    &["W2", "W9", "W10", "W12", "NW6", "NW10", "W3", "HA0"],
];

#[rustfmt::skip]
pub const SYSTEM_NAMES: &[&str] = &[
    "North Central London", "North East London", "South East London", "South West London",
    "North West London",
];

/// The two letters of a postcode unit (`6AB` has unit letters `AB`), from a small number.
pub fn unit_letters(unit: u32) -> String {
    // Postcode units never use C, I, K, M, O or V.
    const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let first = LETTERS[(unit as usize / LETTERS.len()) % LETTERS.len()];
    let second = LETTERS[unit as usize % LETTERS.len()];
    format!("{}{}", char::from(first), char::from(second))
}
