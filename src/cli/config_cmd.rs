//! `kubelift config print` and `kubelift config validate`.

use std::io::Read;

use super::args::{ApiVersionArg, ConfigCommand, Defaults, Global, Output};
use crate::config::{self, load, ApiVersion, ConfigErrors, FieldError, HostDefaults, InitSettings, JoinSettings};
use crate::exit;

pub fn run(g: &Global, command: ConfigCommand) -> u8 {
    match command {
        ConfigCommand::Print { which, api_version } => {
            let version = match api_version {
                ApiVersionArg::V1beta3 => ApiVersion::V1beta3,
                ApiVersionArg::V1beta4 => ApiVersion::V1beta4,
            };
            let yaml = match which {
                Defaults::InitDefaults => config::init_defaults(version).to_yaml(),
                Defaults::JoinDefaults => config::join_defaults(version).to_yaml(),
            };
            print!("{yaml}");
            exit::OK
        }
        ConfigCommand::Validate { file } => validate(g, &file),
    }
}

fn read(file: &std::path::Path) -> Result<(String, String), ConfigErrors> {
    let name = file.display().to_string();
    let result = if name == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(file)
    };
    result.map(|text| (name.clone(), text)).map_err(|e| ConfigErrors {
        file: name,
        errors: vec![FieldError::new("", "", format!("cannot read the file: {e}"), "check the path")],
    })
}

/// Validates as init or join, by the kinds the file holds, with this host's
/// detected defaults (as the real run would).
fn check(g: &Global, file: &std::path::Path) -> Result<(String, Vec<String>), ConfigErrors> {
    let (name, text) = read(file)?;
    let host = HostDefaults::detect(&g.root);
    let (docs, _) = load::parse(&text);
    if docs.join.is_some() && docs.init.is_none() && docs.cluster.is_none() {
        let s = JoinSettings::parse(&text, &name)?.resolve(&host)?;
        Ok((format!("{} JoinConfiguration", s.version.as_str()), s.warnings))
    } else {
        let s = InitSettings::parse(&text, &name)?.resolve(&host)?;
        Ok((format!("{} InitConfiguration + ClusterConfiguration", s.version.as_str()), s.warnings))
    }
}

fn validate(g: &Global, file: &std::path::Path) -> u8 {
    let result = check(g, file);
    let name = file.display().to_string();
    match (g.output, &result) {
        (Output::Json, Ok((kinds, warnings))) => {
            println!("{}", serde_json::json!({ "file": name, "valid": true, "kinds": kinds, "warnings": warnings, "errors": [] }))
        }
        (Output::Json, Err(e)) => println!("{}", serde_json::json!({ "file": name, "valid": false, "errors": e.errors })),
        (Output::Text, Ok((kinds, warnings))) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            println!("{name}: valid ({kinds})");
        }
        (Output::Text, Err(e)) => eprint!("{e}"),
    }
    if result.is_ok() {
        exit::OK
    } else {
        exit::INVALID
    }
}
