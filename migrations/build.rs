//! Rebuild when a migration is added: `sqlx::migrate!` embeds the files it finds at compile
//! time but only tracks the files themselves, not the directory listing.
fn main() {
    println!("cargo:rerun-if-changed=postgres");
    println!("cargo:rerun-if-changed=clickhouse");
}
