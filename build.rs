// Placeholder until the engine lands: signature data will be validated and compiled here.
fn main() {
    println!("cargo:rerun-if-changed=signatures");
}
