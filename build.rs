// Migrations are embedded in the binary (`embed_migrations!`): rebuild when one is added or edited.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
