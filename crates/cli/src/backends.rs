//! `nadoo-flow backends`: what this binary links.

use std::io::{self, Write};

use nadoo_flow::BackendRegistry;

use crate::Failure;

pub(crate) fn run(json: bool) -> Result<(), Failure> {
    let registrations =
        BackendRegistry::registrations().map_err(|e| Failure::Usage(e.to_string()))?;
    let mut out = io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, registrations)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_table(&mut out, registrations)
    };
    written.map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))
}

fn write_table(
    out: &mut impl Write,
    registrations: &[&nadoo_flow::BackendRegistration],
) -> io::Result<()> {
    if registrations.is_empty() {
        writeln!(
            out,
            "no backend is linked into this binary; build it with a backend feature, such as `native`"
        )?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = registrations
        .iter()
        .map(|r| {
            [
                r.name().to_owned(),
                r.version().to_owned(),
                r.crate_name().to_owned(),
                r.capabilities().to_string(),
                r.description().to_owned(),
            ]
        })
        .collect();
    let header = ["NAME", "VERSION", "CRATE", "CAPABILITIES", "DESCRIPTION"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 5]| -> io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, header)?;
    for row in &rows {
        line(out, row.each_ref().map(String::as_str))?;
    }
    Ok(())
}
