//! Parsing of `#[backend("name", crate = path, capabilities = expr)]` and
//! `#[node("kind", crate = path)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Expr, LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(capabilities);
}

/// The parsed arguments of `#[backend(...)]` or `#[node(...)]`.
pub(crate) struct Args {
    pub(crate) name: LitStr,
    pub(crate) krate: Option<Path>,
    pub(crate) capabilities: Option<(kw::capabilities, Expr)>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(
                input.error("expected the name as a string literal, as in #[backend(\"name\")] or #[node(\"kind\")]")
            );
        }
        let name = match input.parse::<LitStr>() {
            Ok(name) => name,
            Err(_) => {
                return Err(syn::Error::new(
                    input.span(),
                    "expected the name as a string literal, as in #[backend(\"name\")] or #[node(\"kind\")]",
                ));
            }
        };

        let mut args = Args {
            name,
            krate: None,
            capabilities: None,
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = input.call(Path::parse_mod_style)?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "duplicate `crate` argument"));
                }
                args.krate = Some(path);
            } else if lookahead.peek(kw::capabilities) {
                let key = input.parse::<kw::capabilities>()?;
                input.parse::<Token![=]>()?;
                let expr = input.parse::<Expr>()?;
                if args.capabilities.is_some() {
                    return Err(syn::Error::new(
                        key.span,
                        "duplicate `capabilities` argument",
                    ));
                }
                args.capabilities = Some((key, expr));
            } else if input.peek(syn::Ident) {
                let ident: syn::Ident = input.parse()?;
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "unknown argument `{ident}`; expected `crate = path` or `capabilities = expr`"
                    ),
                ));
            } else {
                return Err(lookahead.error());
            }
        }
        Ok(args)
    }
}

/// Names are `[a-z][a-z0-9-]*`: backend names are Cargo feature names and CLI arguments too,
/// and node kinds follow the same rule. `what` is "backend name" or "node kind".
pub(crate) fn check_name(name: &LitStr, what: &str) -> syn::Result<()> {
    let value = name.value();
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(syn::Error::new(
            name.span(),
            format!(
                "invalid {what} {value:?}: a name starts with a lowercase letter and continues with lowercase letters, digits or `-` (for example \"my-name\")"
            ),
        ))
    }
}
