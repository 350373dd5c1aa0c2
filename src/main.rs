fn main() {
    let p = std::env::args().nth(1).unwrap_or_default();
    match formwork_schema::load_file(&p) {
        Ok(f) => println!("{}", serde_json::to_string_pretty(&f).unwrap_or_default()),
        Err(e) => { eprintln!("{e}"); std::process::exit(2) }
    }
}
