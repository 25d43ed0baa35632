//! Client-side encryption of state and plan files, in OpenTofu's shape: a `pbkdf2` key
//! provider derives a 256-bit key from a passphrase, or an `aws_kms` one has KMS make a
//! data key (only its wrapped form is stored), the `aes_gcm` method seals the bytes,
//! and a [`Sealer`] per target (`state`, `plan`) writes with its method and reads with its
//! method or its `fallback` (how a team migrates in and out). An encrypted object is
//! OpenTofu's envelope: `serial` and `lineage` in the clear, `meta` naming the key
//! provider with its salt, and `encrypted_data` (nonce, then ciphertext and tag). Nothing
//! else is in the clear; journal records are sealed one line at a time the same way.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use mlform_provider::{KeyService, Value};

use crate::config::{EncryptionBlock, TargetBlock};

/// Builds the key service of a key provider type that has one (`aws_kms`), from its
/// arguments; `None` for types it does not know.
pub type KeyServices<'a> = &'a dyn Fn(&str, &Value) -> Option<Result<Arc<dyn KeyService>, String>>;

/// OpenTofu's aws_kms metadata: the wrapped data key.
#[derive(Serialize, Deserialize)]
struct KmsMeta {
    ciphertext_blob: String,
}

/// Runs a key service call to completion from synchronous code, on a thread of its own
/// (the service's client lives and dies with that call's runtime).
fn run_blocking<T: Send>(
    f: impl std::future::Future<Output = Result<T, String>> + Send,
) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("starting a runtime for the key service: {e}"))?
                .block_on(f)
        })
        .join()
        .unwrap_or_else(|_| Err("the key service call panicked".into()))
    })
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const NONCE_LEN: usize = 12;
const MIN_PASSPHRASE: usize = 16;
const MIN_ITERATIONS: u32 = 200_000;

/// Why encryption could not be set up, or an object could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    #[error("{0}")]
    Config(String),
    #[error("cannot decrypt {what}: {reason}")]
    Open { what: String, reason: String },
}

/// OpenTofu's pbkdf2 metadata, stored with each encrypted object.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Hash, Debug)]
struct Pbkdf2Meta {
    salt: String,
    iterations: u32,
    hash_function: String,
    key_length: usize,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    serial: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lineage: Option<String>,
    meta: BTreeMap<String, String>,
    encrypted_data: String,
    encryption_version: String,
}

#[derive(Clone)]
struct Pbkdf2 {
    passphrase: String,
    iterations: u32,
    hash_function: String,
    salt_length: usize,
}

impl Pbkdf2 {
    fn derive(&self, meta: &Pbkdf2Meta) -> Result<[u8; 32], String> {
        let salt = B64
            .decode(&meta.salt)
            .map_err(|e| format!("bad salt in metadata: {e}"))?;
        if meta.key_length != 32 {
            return Err(format!("key_length {} is not 32", meta.key_length));
        }
        let mut key = [0u8; 32];
        match meta.hash_function.as_str() {
            "sha512" => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                self.passphrase.as_bytes(),
                &salt,
                meta.iterations,
                &mut key,
            ),
            "sha256" => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                self.passphrase.as_bytes(),
                &salt,
                meta.iterations,
                &mut key,
            ),
            other => return Err(format!("hash_function {other:?} is not sha256 or sha512")),
        }
        Ok(key)
    }
}

/// Where a method's keys come from.
#[derive(Clone)]
enum Keys {
    Pbkdf2(Pbkdf2),
    Service(Arc<dyn KeyService>),
}

/// One configured method: writes with one key per process (a fresh salt, or a fresh KMS
/// data key), opens by the stored metadata.
#[derive(Clone)]
enum Method {
    Unencrypted,
    AesGcm {
        /// `key_provider.TYPE.NAME`, the metadata key.
        provider: String,
        keys: Keys,
        /// The key this process writes with, and its encoded metadata (made once).
        write: Arc<Mutex<Option<([u8; 32], String)>>>,
        /// Keys made to open objects, by their encoded metadata.
        opened: Arc<Mutex<HashMap<String, [u8; 32]>>>,
    },
}

impl Method {
    /// Makes the write key now: a key service is asked once, when the sealer is built, so a
    /// key that cannot be had stops the command before anything is written.
    fn prepare(&self) -> Result<(), String> {
        let Method::AesGcm {
            provider,
            keys: Keys::Service(service),
            write,
            ..
        } = self
        else {
            return Ok(());
        };
        if write.lock().expect("key lock").is_some() {
            return Ok(());
        }
        let (key, wrapped) = run_blocking(service.generate())
            .map_err(|e| format!("{provider} could not make a data key: {e}"))?;
        let meta = KmsMeta {
            ciphertext_blob: B64.encode(wrapped),
        };
        let encoded = B64.encode(serde_json::to_vec(&meta).expect("meta serializes"));
        *write.lock().expect("key lock") = Some((key, encoded));
        Ok(())
    }

    fn write_key(&self) -> Option<(String, [u8; 32], String)> {
        let Method::AesGcm {
            provider,
            keys,
            write,
            ..
        } = self
        else {
            return None;
        };
        let mut guard = write.lock().expect("key lock");
        if guard.is_none() {
            let Keys::Pbkdf2(pbkdf2) = keys else {
                unreachable!(
                    "a key service's write key is made by prepare, when the sealer is built"
                )
            };
            let mut salt = vec![0u8; pbkdf2.salt_length];
            aes_gcm::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut salt);
            let meta = Pbkdf2Meta {
                salt: B64.encode(&salt),
                iterations: pbkdf2.iterations,
                hash_function: pbkdf2.hash_function.clone(),
                key_length: 32,
            };
            let key = pbkdf2.derive(&meta).expect("own metadata derives");
            let encoded = B64.encode(serde_json::to_vec(&meta).expect("meta serializes"));
            *guard = Some((key, encoded));
        }
        let (key, meta) = guard.clone().expect("set above");
        Some((provider.clone(), key, meta))
    }

    /// Opens an envelope if this method's key provider wrote it.
    fn open(&self, env: &Envelope) -> Option<Result<Vec<u8>, String>> {
        let Method::AesGcm {
            provider,
            keys,
            opened,
            write,
        } = self
        else {
            return None;
        };
        let encoded = env.meta.get(provider)?;
        Some((|| {
            let own = write
                .lock()
                .expect("key lock")
                .as_ref()
                .filter(|(_, m)| m == encoded)
                .map(|(k, _)| *k);
            let cached = own.or_else(|| opened.lock().expect("key lock").get(encoded).copied());
            let key = match cached {
                Some(k) => k,
                None => {
                    let raw = B64
                        .decode(encoded)
                        .map_err(|e| format!("bad metadata: {e}"))?;
                    let k = match keys {
                        Keys::Pbkdf2(pbkdf2) => {
                            let meta: Pbkdf2Meta = serde_json::from_slice(&raw)
                                .map_err(|e| format!("bad metadata: {e}"))?;
                            pbkdf2.derive(&meta)?
                        }
                        Keys::Service(service) => {
                            let meta: KmsMeta = serde_json::from_slice(&raw)
                                .map_err(|e| format!("bad metadata: {e}"))?;
                            let wrapped = B64
                                .decode(&meta.ciphertext_blob)
                                .map_err(|e| format!("bad ciphertext_blob: {e}"))?;
                            run_blocking(service.unwrap(&wrapped)).map_err(|e| {
                                format!("{provider} could not unwrap the data key: {e}")
                            })?
                        }
                    };
                    opened.lock().expect("key lock").insert(encoded.clone(), k);
                    k
                }
            };
            let data = B64
                .decode(&env.encrypted_data)
                .map_err(|e| format!("bad encrypted_data: {e}"))?;
            if data.len() < NONCE_LEN {
                return Err("encrypted_data is too short".into());
            }
            let (nonce, sealed) = data.split_at(NONCE_LEN);
            Aes256Gcm::new(&key.into())
                .decrypt(Nonce::from_slice(nonce), sealed)
                .map_err(|_| {
                    format!("the key from {provider} does not open it (wrong passphrase, or the data was altered)")
                })
        })())
    }
}

/// How one target (state or plan) is written and read.
#[derive(Clone)]
pub struct Sealer {
    method: Method,
    fallback: Option<Method>,
    name: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key or passphrase.
        write!(
            f,
            "Sealer({})",
            if self.encrypts() {
                "aes_gcm"
            } else {
                "unencrypted"
            }
        )
    }
}

impl Default for Sealer {
    fn default() -> Sealer {
        Sealer::plaintext()
    }
}

impl Sealer {
    /// No encryption configured.
    pub fn plaintext() -> Sealer {
        Sealer {
            method: Method::Unencrypted,
            fallback: None,
            name: String::new(),
        }
    }

    pub fn encrypts(&self) -> bool {
        !matches!(self.method, Method::Unencrypted)
    }

    /// Seals bytes with the write method; `serial` and `lineage` stay readable.
    pub fn seal(&self, bytes: Vec<u8>, serial: Option<u64>, lineage: Option<&str>) -> Vec<u8> {
        let Some((provider, key, meta)) = self.method.write_key() else {
            return bytes;
        };
        let mut nonce = [0u8; NONCE_LEN];
        aes_gcm::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut nonce);
        let sealed = Aes256Gcm::new(&key.into())
            .encrypt(Nonce::from_slice(&nonce), bytes.as_slice())
            .expect("AES-GCM seals any length we write");
        let mut data = nonce.to_vec();
        data.extend(sealed);
        let env = Envelope {
            serial,
            lineage: lineage.map(str::to_string),
            meta: BTreeMap::from([(provider, meta)]),
            encrypted_data: B64.encode(data),
            encryption_version: "v0".into(),
        };
        serde_json::to_vec(&env).expect("envelope serializes")
    }

    /// Opens what [`Sealer::seal`] wrote, or plaintext when the method or the fallback is
    /// `unencrypted`. `what` names the object in errors.
    pub fn open(&self, bytes: &[u8], what: &str) -> Result<Vec<u8>, EncryptionError> {
        let err = |reason: String| EncryptionError::Open {
            what: what.to_string(),
            reason,
        };
        let envelope = serde_json::from_slice::<Envelope>(bytes)
            .ok()
            .filter(|e| !e.encrypted_data.is_empty());
        let methods = std::iter::once(&self.method).chain(self.fallback.iter());
        match envelope {
            None => {
                if methods.clone().any(|m| matches!(m, Method::Unencrypted)) {
                    Ok(bytes.to_vec())
                } else {
                    Err(err(format!(
                        "it is not encrypted, and {} requires encryption. To encrypt existing state, add `fallback {{ method = method.unencrypted.NAME }}` (with `method \"unencrypted\" \"NAME\" {{}}`) for one run",
                        self.name
                    )))
                }
            }
            Some(env) => {
                let mut last = None;
                for m in methods {
                    match m.open(&env) {
                        Some(Ok(plain)) => return Ok(plain),
                        Some(Err(e)) => last = Some(e),
                        None => {}
                    }
                }
                Err(err(last.unwrap_or_else(|| {
                    format!(
                        "it is encrypted with {}, which {} does not configure as its method or fallback",
                        env.meta.keys().cloned().collect::<Vec<_>>().join(", "),
                        if self.name.is_empty() {
                            "this configuration's encryption"
                        } else {
                            &self.name
                        }
                    )
                })))
            }
        }
    }
}

/// The sealers of a configuration's `state` and `plan` targets.
#[derive(Clone, Default)]
pub struct Encryption {
    pub state: Sealer,
    pub plan: Sealer,
    /// How `terraform_remote_state` opens other configurations' state.
    pub remote_state: Sealer,
}

impl Encryption {
    /// Builds the sealers from the encryption block (with `TF_ENCRYPTION` already merged).
    pub fn from_block(
        block: Option<&EncryptionBlock>,
        services: KeyServices<'_>,
    ) -> Result<Encryption, EncryptionError> {
        let Some(block) = block else {
            return Ok(Encryption::default());
        };
        let cfg = |m: String| EncryptionError::Config(m);
        let mut providers: HashMap<(String, String), Keys> = HashMap::new();
        for kp in &block.key_providers {
            match kp.kind.as_str() {
                "pbkdf2" => {
                    let a = &kp.arguments;
                    let text = |n: &str| a.get_attr(n).strip_marks().as_str().map(str::to_string);
                    let number = |n: &str| a.get_attr(n).strip_marks().as_i64();
                    let passphrase = text("passphrase").ok_or_else(|| cfg(format!("key_provider \"pbkdf2\" \"{}\" needs a passphrase (set it in TF_ENCRYPTION to keep it out of the configuration)", kp.name)))?;
                    if passphrase.chars().count() < MIN_PASSPHRASE {
                        return Err(cfg(format!("key_provider \"pbkdf2\" \"{}\": the passphrase must be at least {MIN_PASSPHRASE} characters", kp.name)));
                    }
                    let iterations = number("iterations").unwrap_or(600_000);
                    if iterations < MIN_ITERATIONS as i64 || iterations > u32::MAX as i64 {
                        return Err(cfg(format!("key_provider \"pbkdf2\" \"{}\": iterations must be at least {MIN_ITERATIONS}", kp.name)));
                    }
                    let key_length = number("key_length").unwrap_or(32);
                    if key_length != 32 {
                        return Err(cfg(format!("key_provider \"pbkdf2\" \"{}\": key_length must be 32 for aes_gcm with a 256-bit key", kp.name)));
                    }
                    let salt_length = number("salt_length").unwrap_or(32);
                    if !(16..=512).contains(&salt_length) {
                        return Err(cfg(format!("key_provider \"pbkdf2\" \"{}\": salt_length must be between 16 and 512", kp.name)));
                    }
                    let hash_function = text("hash_function").unwrap_or_else(|| "sha512".into());
                    if !matches!(hash_function.as_str(), "sha256" | "sha512") {
                        return Err(cfg(format!("key_provider \"pbkdf2\" \"{}\": hash_function must be sha256 or sha512", kp.name)));
                    }
                    for arg in a
                        .as_map()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default()
                    {
                        if ![
                            "passphrase",
                            "iterations",
                            "key_length",
                            "salt_length",
                            "hash_function",
                        ]
                        .contains(&arg.as_str())
                        {
                            return Err(cfg(format!(
                                "key_provider \"pbkdf2\" \"{}\": unknown argument \"{arg}\"",
                                kp.name
                            )));
                        }
                    }
                    providers.insert(
                        (kp.kind.clone(), kp.name.clone()),
                        Keys::Pbkdf2(Pbkdf2 {
                            passphrase,
                            iterations: iterations as u32,
                            hash_function,
                            salt_length: salt_length as usize,
                        }),
                    );
                }
                other => match services(other, &kp.arguments) {
                    Some(Ok(service)) => {
                        providers
                            .insert((kp.kind.clone(), kp.name.clone()), Keys::Service(service));
                    }
                    Some(Err(e)) => {
                        return Err(cfg(format!(
                            "key_provider \"{other}\" \"{}\": {e}",
                            kp.name
                        )))
                    }
                    None => {
                        return Err(cfg(format!(
                        "key_provider \"{other}\" is not supported; mlform has pbkdf2 and aws_kms"
                    )))
                    }
                },
            }
        }
        let mut methods: HashMap<(String, String), Method> = HashMap::new();
        for m in &block.methods {
            let method = match m.kind.as_str() {
                "unencrypted" => Method::Unencrypted,
                "aes_gcm" => {
                    let (kind, name) = m.keys.clone().ok_or_else(|| {
                        cfg(format!(
                            "method \"aes_gcm\" \"{}\" needs keys = key_provider.TYPE.NAME",
                            m.name
                        ))
                    })?;
                    let keys = providers.get(&(kind.clone(), name.clone())).cloned().ok_or_else(|| {
                        cfg(format!("method \"aes_gcm\" \"{}\": there is no key_provider \"{kind}\" \"{name}\"", m.name))
                    })?;
                    Method::AesGcm {
                        provider: format!("key_provider.{kind}.{name}"),
                        keys,
                        write: Arc::new(Mutex::new(None)),
                        opened: Arc::new(Mutex::new(HashMap::new())),
                    }
                }
                other => {
                    return Err(cfg(format!(
                        "method \"{other}\" is not supported; mlform has aes_gcm and unencrypted"
                    )))
                }
            };
            methods.insert((m.kind.clone(), m.name.clone()), method);
        }
        let target = |t: Option<&TargetBlock>, name: &str| -> Result<Sealer, EncryptionError> {
            let Some(t) = t else {
                return Ok(Sealer::plaintext());
            };
            let find = |r: &(String, String)| {
                methods.get(r).cloned().ok_or_else(|| {
                    cfg(format!(
                        "{name}: there is no method \"{}\" \"{}\"",
                        r.0, r.1
                    ))
                })
            };
            let method = find(
                t.method
                    .as_ref()
                    .ok_or_else(|| cfg(format!("{name} needs a method")))?,
            )?;
            if t.enforced && matches!(method, Method::Unencrypted) {
                return Err(cfg(format!(
                    "{name} is enforced, so its method cannot be unencrypted"
                )));
            }
            let fallback = t.fallback.as_ref().map(find).transpose()?;
            method.prepare().map_err(cfg)?;
            Ok(Sealer {
                method,
                fallback,
                name: format!("the {name} encryption"),
            })
        };
        Ok(Encryption {
            state: target(block.state.as_ref(), "state")?,
            plan: target(block.plan.as_ref(), "plan")?,
            remote_state: target(block.remote_state.as_ref(), "remote_state_data_sources")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(passphrase: &str) -> Sealer {
        let pbkdf2 = Pbkdf2 {
            passphrase: passphrase.into(),
            iterations: MIN_ITERATIONS,
            hash_function: "sha512".into(),
            salt_length: 32,
        };
        Sealer {
            method: Method::AesGcm {
                provider: "key_provider.pbkdf2.main".into(),
                keys: Keys::Pbkdf2(pbkdf2),
                write: Arc::new(Mutex::new(None)),
                opened: Arc::new(Mutex::new(HashMap::new())),
            },
            fallback: None,
            name: "the state encryption".into(),
        }
    }

    #[test]
    fn sealed_bytes_hold_no_plaintext_and_open_only_with_the_passphrase() {
        let s = sealer("correct-horse-battery-staple");
        let sealed = s.seal(b"{\"secret\":\"hunter2\"}".to_vec(), Some(3), Some("L"));
        assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"));
        assert_eq!(s.open(&sealed, "x").unwrap(), b"{\"secret\":\"hunter2\"}");
        let wrong = sealer("another-long-passphrase");
        let err = wrong.open(&sealed, "x").unwrap_err().to_string();
        assert!(err.contains("wrong passphrase"), "{err}");
        let err = s.open(b"{\"plain\":true}", "x").unwrap_err().to_string();
        assert!(err.contains("not encrypted"), "{err}");
    }
}
