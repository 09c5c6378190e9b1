"""C2PA provenance: signing manifests onto the images Pixie makes and keeps, and reading what
uploads say about where they came from.

- Generated images get a manifest made with the intent CREATE and the provider's IPTC digital
  source type, naming the model (the creating action's software agent) and Pixie (the claim
  generator). The prompt is never written into it: a person may keep their prompt private.
- Uploads that carried a manifest lose its signature when the pipeline cuts their metadata out, so
  the cleaned file gets a new manifest naming the upload as its parent ingredient: the chain back to
  the original survives.
- Uploads are also checked for a claim of being AI-made: a manifest with a trained-algorithmic
  digital source type, or the IPTC ``Iptc4xmpExt:DigitalSourceType`` property in their XMP.

Signing needs a certificate chain that C2PA accepts (a self-signed certificate is refused). One is
configured (``PIXIE_C2PA_CERTIFICATE_FILE`` and ``PIXIE_C2PA_PRIVATE_KEY_FILE``), or a development
chain is made on first use under ``DATA_DIR/c2pa/dev``: its own root CA and an ES256 leaf it signed.

Everything here is synchronous CPU and file work; callers run it in a worker thread. Reading never
raises on hostile input and never reaches the network (remote manifests and OCSP are not fetched).
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

if TYPE_CHECKING:
    from pixie.config import Settings

log = logging.getLogger("pixie.provenance")

# The IPTC terms that say a trained model made the picture, or a part of it.
AI_SOURCE_TERMS = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

ValidationState = Literal["Valid", "Trusted", "Invalid"]
TrainingUse = Literal["allowed", "notAllowed", "constrained"]
# The uses a cawg.training-mining assertion grants or refuses.
TRAINING_MINING_ENTRIES = (
    "cawg.ai_generative_training",
    "cawg.ai_training",
    "cawg.ai_inference",
    "cawg.data_mining",
)
# Bounds on what a summary copies out of a manifest: uploads are written by anyone.
_TEXT_LIMIT = 200
_ACTIONS_LIMIT = 20
_CHAIN_LIMIT = 16
_XMP_PACKETS_LIMIT = 8
_REDACTIONS_LIMIT = 64

# C2PA's enumeration of digital source types, by IPTC term (TRAINED_ALGORITHMIC_MEDIA ->
# trainedAlgorithmicMedia), for the intent the builder is given.
_SOURCE_TYPE_ENUM: dict[str, Any] = {
    re.sub(r"_([a-z])", lambda m: m.group(1).upper(), member.name.lower()): member
    for member in c2pa.C2paDigitalSourceType
    if member.name != "EMPTY"
}
# The automatic thumbnail costs about 0.2 s and can double a file; network look-ups on reading would
# let an upload make Pixie fetch a URL of its choosing.
_BASE_SETTINGS: dict[str, Any] = {
    "builder": {"thumbnail": {"enabled": False}},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}
# A 1x1 PNG, signed once when a signer is built so a refused certificate is reported at once, with
# the files it came from, rather than on the first image.
_PROBE_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\r\xefF\xb8\x00\x00\x00\x00IEND\xaeB`\x82"
)


class ProvenanceError(Exception):
    """Signing is impossible as configured, or failed; the message says what to fix."""


@dataclass(frozen=True)
class AiMarker:
    """An upload's own statement that it is AI-made, and where it was found."""

    source: Literal["c2pa", "xmp"]
    digital_source_type: str  # the full IPTC URI


@dataclass(frozen=True)
class Inspection:
    """What one read of an upload found: its manifest's summary and any AI marker."""

    summary: dict[str, Any] | None
    marker: AiMarker | None


def short_term(digital_source_type: str) -> str:
    """``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`` ->
    ``trainedAlgorithmicMedia``."""
    return digital_source_type.strip().rstrip("/").rsplit("/", 1)[-1]


# --- signing identity ------------------------------------------------------------------------


def _algorithm(key: Any) -> Any:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
        name = by_curve.get(key.curve.name)
        if name is not None:
            return c2pa.C2paSigningAlg[name]
        raise ProvenanceError(f"C2PA cannot sign with an elliptic-curve key on {key.curve.name}")
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    raise ProvenanceError("C2PA signs with an EC (P-256, P-384, P-521), RSA or Ed25519 key only")


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


class ProvenanceSigner:
    """One signing identity: a certificate chain (leaf first) and the leaf's private key. Build it
    once per process (:func:`signer_for`); it is safe to use from several threads."""

    def __init__(self, chain_pem: bytes, key_pem: bytes, *, origin: str) -> None:
        """``origin`` names where the identity came from, for error messages."""
        try:
            chain = x509.load_pem_x509_certificates(chain_pem)
        except ValueError:
            raise ProvenanceError(f"{origin}: the certificate chain is not PEM certificates") from None
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ProvenanceError(
                f"{origin}: the private key cannot be read ({exc}); it must be an unencrypted PEM key"
            ) from None
        leaf = chain[0]
        if leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) != key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            raise ProvenanceError(f"{origin}: the private key does not belong to the first certificate")
        self.origin = origin
        self.certificate = leaf
        # The chain's CA at its end reads this instance's own manifests as "Trusted"; any other
        # signer's stay "Valid" (Pixie keeps no list of outside trust anchors).
        self.trust_anchors: str | None = _pem(chain[-1]).decode() if _is_ca(chain[-1]) else None
        # c2pa reads PKCS#8 keys only; operators' files are often SEC1 ("EC PRIVATE KEY").
        pkcs8 = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            self._signer = c2pa.Signer.from_info(
                c2pa.C2paSignerInfo(_algorithm(key), b"".join(_pem(c) for c in chain), pkcs8, None)
            )
        except c2pa.C2paError as exc:
            raise ProvenanceError(f"{origin}: C2PA refused the signing credentials: {exc}") from None
        self._context = c2pa.Context(c2pa.Settings.from_dict(_BASE_SETTINGS))
        try:
            self._sign(
                {"claim_generator_info": [{"name": "Pixie"}]},
                "image/png",
                _PROBE_PNG,
                intent=c2pa.C2paBuilderIntent.CREATE,
                source_type=c2pa.C2paDigitalSourceType.DIGITAL_CREATION,
            )
        except ProvenanceError as exc:
            raise ProvenanceError(
                f"{origin}: the certificate cannot sign C2PA manifests ({exc}). C2PA needs a leaf issued "
                "by a CA (not self-signed) with KeyUsage digitalSignature and ExtendedKeyUsage "
                "emailProtection, given leaf first"
            ) from None

    @classmethod
    def from_files(cls, certificate_file: Path, private_key_file: Path) -> ProvenanceSigner:
        try:
            chain_pem = certificate_file.read_bytes()
            key_pem = private_key_file.read_bytes()
        except OSError as exc:
            raise ProvenanceError(f"Cannot read the C2PA signing files: {exc}") from None
        return cls(chain_pem, key_pem, origin=f"{certificate_file} with {private_key_file}")

    @classmethod
    def development(cls, directory: Path, *, organization: str = "Pixie") -> ProvenanceSigner:
        try:
            chain_file, key_file = ensure_development_chain(directory, organization=organization)
        except OSError as exc:
            raise ProvenanceError(f"Cannot make the development C2PA chain in {directory}: {exc}") from None
        return cls.from_files(chain_file, key_file)

    @classmethod
    def from_settings(cls, settings: Settings) -> ProvenanceSigner:
        cert, key = settings.c2pa_certificate_file, settings.c2pa_private_key_file
        if cert is not None and key is not None:
            return cls.from_files(cert, key)
        if cert is not None or key is not None:
            raise ProvenanceError(
                "Set both PIXIE_C2PA_CERTIFICATE_FILE and PIXIE_C2PA_PRIVATE_KEY_FILE, or neither "
                "(a development chain is then made in the data dir)"
            )
        return cls.development(settings.data_dir / "c2pa" / "dev", organization=f"Pixie {settings.domain}")

    def _sign(
        self,
        manifest: dict[str, Any],
        mime: str,
        data: bytes,
        *,
        intent: Any = None,
        source_type: Any = None,
        parent: bytes | None = None,
    ) -> bytes:
        out = io.BytesIO()
        try:
            with c2pa.Builder(manifest, context=self._context) as builder:
                if parent is not None:
                    builder.add_ingredient(
                        {"title": "Original upload", "relationship": "parentOf"}, mime, io.BytesIO(parent)
                    )
                if intent is not None:
                    empty = c2pa.C2paDigitalSourceType.EMPTY
                    builder.set_intent(intent, empty if source_type is None else source_type)
                builder.sign(self._signer, mime, io.BytesIO(data), out)
        except c2pa.C2paError as exc:
            raise ProvenanceError(f"C2PA signing failed: {exc}") from None
        return out.getvalue()

    def sign_generated(
        self,
        data: bytes,
        mime: str,
        *,
        provider: str,
        model: str,
        digital_source_type: str,
        instance_title: str,
        software_version: str,
        training_use: TrainingUse | None = None,
    ) -> bytes:
        """The image with a manifest saying ``model`` (through ``provider``) made it, as
        ``digital_source_type`` (an IPTC URI). ``training_use`` adds a ``cawg.training-mining``
        assertion granting or refusing AI training and data mining on it."""
        term = short_term(digital_source_type)
        source_type = _SOURCE_TYPE_ENUM.get(term)
        if source_type is None:
            raise ProvenanceError(f"{digital_source_type!r} is not an IPTC digital source type C2PA knows")
        action = {
            "action": "c2pa.created",
            "digitalSourceType": digital_source_type.strip(),
            "softwareAgent": {"name": model},
            "parameters": {"description": f"Generated by Pixie's {provider} provider"},
        }
        assertions: list[dict[str, Any]] = [{"label": "c2pa.actions.v2", "data": {"actions": [action]}}]
        if training_use is not None:
            entries = {name: {"use": training_use} for name in TRAINING_MINING_ENTRIES}
            assertions.append({"label": "cawg.training-mining", "data": {"entries": entries}})
        manifest = {
            "claim_generator_info": [{"name": "Pixie", "version": software_version}],
            "title": f"Generated on {instance_title}",
            "assertions": assertions,
        }
        return self._sign(manifest, mime, data, intent=c2pa.C2paBuilderIntent.CREATE, source_type=source_type)

    def resign_upload(
        self,
        original: bytes,
        processed: bytes,
        mime: str,
        *,
        instance_title: str,
        software_version: str,
        reencoded: bool = False,
    ) -> bytes:
        """``processed`` (the upload after the pipeline; same format as ``original``) with a new
        manifest whose parent ingredient is ``original`` and its manifest. Metadata assertions in
        the original's manifests (EXIF with GPS, IPTC, XMP-like metadata) are redacted, as the
        pipeline removed the same metadata from the file."""
        actions: list[dict[str, Any]]
        if reencoded:
            actions = [{"action": "c2pa.transcoded", "parameters": {"description": "Re-encoded on upload"}}]
        else:
            actions = [
                {
                    "action": "c2pa.edited.metadata",
                    "parameters": {"description": "Metadata removed on upload; the pixels are unchanged"},
                }
            ]
        store = _read_store(original, mime, None).json
        redactions = _metadata_assertions(store) if store is not None else []
        if len(redactions) > _REDACTIONS_LIMIT:
            # Signing on with some of them left in would carry the uploader's metadata on.
            raise ProvenanceError(f"The upload's manifests hold {len(redactions)} metadata assertions")
        actions += [
            {"action": "c2pa.redacted", "reason": "c2pa.PII.present", "parameters": {"redacted": uri}}
            for uri in redactions
        ]
        manifest = {
            "claim_generator_info": [{"name": "Pixie", "version": software_version}],
            "title": f"Uploaded to {instance_title}",
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
            "redactions": redactions,
        }
        return self._sign(manifest, mime, processed, intent=c2pa.C2paBuilderIntent.EDIT, parent=original)


_SIGNERS: dict[tuple[str, ...], ProvenanceSigner] = {}
_SIGNERS_LOCK = threading.Lock()


def signer_for(settings: Settings) -> ProvenanceSigner:
    """The signer of this process for these settings, built on first use (which may make the
    development chain). Raises :class:`ProvenanceError` when the identity is unusable."""
    identity = (
        str(settings.c2pa_certificate_file or ""),
        str(settings.c2pa_private_key_file or ""),
        str(settings.data_dir.resolve()),
    )
    with _SIGNERS_LOCK:
        signer = _SIGNERS.get(identity)
        if signer is None:
            signer = _SIGNERS[identity] = ProvenanceSigner.from_settings(settings)
        return signer


# --- the development chain ----------------------------------------------------------------------

CHAIN_FILE, KEY_FILE, ROOT_FILE, ROOT_KEY_FILE = "chain.pem", "signer.key", "root.pem", "root.key"


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def make_development_chain(organization: str) -> dict[str, bytes]:
    """A root CA and an ES256 leaf it signed, in the shape C2PA validates: the CA with
    BasicConstraints ca, KeyUsage keyCertSign+cRLSign and a SubjectKeyIdentifier; the leaf with
    critical BasicConstraints (not a CA) and KeyUsage digitalSignature, ExtendedKeyUsage
    emailProtection, and both key identifiers. Returns the files' contents by name."""
    now = datetime.datetime.now(datetime.UTC)
    # An hour back allows for clocks that disagree a little; ten years because nobody renews a
    # development chain.
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=3650)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} development root"),
        ]
    )
    no_usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(**{**no_usage, "key_cert_sign": True, "crl_sign": True}), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} development signer"),
                ]
            )
        )
        .issuer_name(root_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**{**no_usage, "digital_signature": True}), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    return {
        CHAIN_FILE: _pem(leaf) + _pem(root),
        KEY_FILE: _key_pem(leaf_key),
        ROOT_FILE: _pem(root),
        ROOT_KEY_FILE: _key_pem(root_key),
    }


def ensure_development_chain(directory: Path, *, organization: str = "Pixie") -> tuple[Path, Path]:
    """The development chain in ``directory`` (made on first call, reused afterwards); returns the
    chain and key files. The files are written into a temporary directory that is then renamed into
    place, so two processes starting at once end up sharing one complete chain."""
    chain_file, key_file = directory / CHAIN_FILE, directory / KEY_FILE
    if chain_file.exists() and key_file.exists():
        return chain_file, key_file
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))  # mode 0700
    try:
        for name, data in make_development_chain(organization).items():
            _write(staging / name, data, 0o600 if name.endswith(".key") else 0o644)
        try:
            # rename(2) of a directory is atomic, and fails when another process placed a
            # complete chain first: then that one is used.
            staging.rename(directory)
        except OSError:
            if not (chain_file.exists() and key_file.exists()):
                raise ProvenanceError(
                    f"{directory} exists without a complete development chain ({CHAIN_FILE} and "
                    f"{KEY_FILE}); remove it and Pixie makes a new one"
                ) from None
            log.info("another process made the development C2PA chain first; using it")
        else:
            log.warning(
                "made a development C2PA signing chain in %s; manifests it signs are not trusted "
                "outside this instance (set PIXIE_C2PA_CERTIFICATE_FILE for production)",
                directory,
            )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return chain_file, key_file


# --- reading ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _reading_context(trust_anchors: str | None) -> Any:
    config: dict[str, Any] = dict(_BASE_SETTINGS)
    if trust_anchors:
        config["trust"] = {"trust_anchors": trust_anchors}
    return c2pa.Context(c2pa.Settings.from_dict(config))


def _text(value: Any) -> str | None:
    return value[:_TEXT_LIMIT] if isinstance(value, str) else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for assertion in _items(manifest.get("assertions")):
        assertion = _mapping(assertion)
        label = assertion.get("label")
        if isinstance(label, str) and label.startswith("c2pa.actions"):
            found += [
                a for a in _items(_mapping(assertion.get("data")).get("actions")) if isinstance(a, dict)
            ]
    return found


def _lineage(store: dict[str, Any]) -> list[dict[str, Any]]:
    """The active manifest, then its parent's, and so on (bounded, and safe against cycles)."""
    manifests = _mapping(store.get("manifests"))
    chain: list[dict[str, Any]] = []
    label = store.get("active_manifest")
    seen: set[str] = set()
    while isinstance(label, str) and label not in seen and len(chain) < _CHAIN_LIMIT:
        seen.add(label)
        manifest = _mapping(manifests.get(label))
        if not manifest:
            break
        chain.append(manifest)
        parents = [
            i
            for i in (_mapping(x) for x in _items(manifest.get("ingredients")))
            if i.get("relationship") == "parentOf"
        ]
        label = parents[0].get("active_manifest") if parents else None
    return chain


def _source_types(store: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every digital source type the lineage states, nearest first, with the action stating it."""
    found = []
    for manifest in _lineage(store):
        for action in _actions(manifest):
            uri = action.get("digitalSourceType")
            if isinstance(uri, str) and uri:
                found.append((uri, action))
        for ingredient in (_mapping(x) for x in _items(manifest.get("ingredients"))):
            uri = ingredient.get("digital_source_type")
            if isinstance(uri, str) and uri and ingredient.get("relationship") == "parentOf":
                found.append((uri, {}))
    return found


def _parent_state(manifest: dict[str, Any]) -> str | None:
    """How the parent ingredient's manifest validated when it was taken in: a re-signed upload's
    own signature is valid even when the manifest it took over was not, and a client should see
    both. None without a parent that had a manifest."""
    for ingredient in (_mapping(x) for x in _items(manifest.get("ingredients"))):
        if ingredient.get("relationship") != "parentOf" or not ingredient.get("active_manifest"):
            continue
        results = _mapping(_mapping(ingredient.get("validation_results")).get("activeManifest"))
        failures = _items(results.get("failure")) + _items(ingredient.get("validation_status"))
        codes = {_mapping(f).get("code") for f in failures}
        if codes - {"signingCredential.untrusted"}:
            return "Invalid"
        return "Valid" if codes else "Trusted"
    return None


def _agent_name(action: dict[str, Any]) -> str | None:
    agent = action.get("softwareAgent")
    return _text(agent) if isinstance(agent, str) else _text(_mapping(agent).get("name"))


def _summary(store: dict[str, Any], state: str | None) -> dict[str, Any]:
    active = _lineage(store)[:1]
    manifest = active[0] if active else {}
    generator = _mapping((_items(manifest.get("claim_generator_info")) or [None])[0])
    name, version = _text(generator.get("name")), _text(generator.get("version"))
    claim_generator = (
        f"{name} {version}" if name and version else name or _text(manifest.get("claim_generator"))
    )
    sources = _source_types(store)
    source_uri, source_action = sources[0] if sources else (None, {})
    signature = _mapping(manifest.get("signature_info"))
    return {
        "claim_generator": claim_generator,
        "title": _text(manifest.get("title")),
        "digital_source_type": short_term(source_uri)[:_TEXT_LIMIT] if source_uri else None,
        "digital_source_type_uri": _text(source_uri),
        "software_agent": _agent_name(source_action),
        "issuer": _text(signature.get("issuer")),
        "signed_at": _text(signature.get("time")),  # only with a time-stamp authority
        "validation_state": state if state in ("Valid", "Trusted") else "Invalid",
        "actions": [a for a in (_text(x.get("action")) for x in _actions(manifest)) if a][:_ACTIONS_LIMIT],
        "ingredients": len(_items(manifest.get("ingredients"))),
        "parent_validation_state": _parent_state(manifest),
        "error": None,
    }


def _unreadable(error: str) -> dict[str, Any]:
    """The summary of a manifest that is there but cannot be read."""
    return {
        "claim_generator": None,
        "title": None,
        "digital_source_type": None,
        "digital_source_type_uri": None,
        "software_agent": None,
        "issuer": None,
        "signed_at": None,
        "validation_state": "Invalid",
        "actions": [],
        "ingredients": 0,
        "parent_validation_state": None,
        "error": error[:_TEXT_LIMIT],
    }


@dataclass(frozen=True)
class _Store:
    """What reading found: the manifest store and its validation state, or why it was unreadable
    (``error``), or neither when the image has no manifest."""

    json: dict[str, Any] | None = None
    state: str | None = None
    error: str = ""


def _read_store(data: bytes, mime: str, trust_anchors: str | None) -> _Store:
    try:
        reader = c2pa.Reader(mime, io.BytesIO(data), None, context=_reading_context(trust_anchors))
    except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
        return _Store()
    except c2pa.C2paError as exc:
        # A failure on a file without even a JUMBF "c2pa" label means it has no manifest, not a
        # broken one (an image type the reader does not know, say).
        return _Store(error=str(exc)) if b"c2pa" in data else _Store()
    try:
        with reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state()
    except (c2pa.C2paError, ValueError) as exc:
        return _Store(error=str(exc) or "The manifest could not be read")
    if not isinstance(store, dict):
        return _Store(error="The manifest store is not a JSON object")
    return _Store(store, state if isinstance(state, str) else None)


# Assertions that carry camera and editor metadata (EXIF with GPS, IPTC, XMP-like fields): redacted
# when an upload is signed again, as their counterparts in the file itself are removed.
_METADATA_ASSERTIONS = ("c2pa.metadata", "stds.exif", "stds.iptc", "stds.xmp", "cawg.metadata")


def _metadata_assertions(store: dict[str, Any]) -> list[str]:
    """JUMBF URIs of the metadata assertions in every manifest of a store."""
    found = []
    for label, manifest in _mapping(store.get("manifests")).items():
        for assertion in _items(_mapping(manifest).get("assertions")):
            name = _mapping(assertion).get("label")
            # Repeated assertions are numbered ("stds.exif__1"); versions are suffixed (".v2").
            base = name.split("__")[0] if isinstance(name, str) else ""
            if any(base == m or base.startswith(m + ".") for m in _METADATA_ASSERTIONS):
                found.append(f"self#jumbf=/c2pa/{label}/c2pa.assertions/{name}")
    return found


def _c2pa_marker(store: dict[str, Any]) -> AiMarker | None:
    for uri, _ in _source_types(store):
        if short_term(uri) in AI_SOURCE_TERMS:
            return AiMarker("c2pa", uri)
    return None


def _xmp_packets(data: bytes) -> list[bytes]:
    """The XMP packets of an image: what Pillow finds (it inflates compressed PNG text), and the
    packets stored as plain text elsewhere in the file (GIF and AVIF, which Pillow leaves out)."""
    packets: list[bytes] = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            for key in ("xmp", "XML:com.adobe.xmp"):
                value = im.info.get(key)
                if isinstance(value, str):
                    value = value.encode()
                if isinstance(value, bytes):
                    packets.append(value)
    except Exception:  # not an image Pillow reads: the raw scan below still runs
        log.debug("no XMP from Pillow", exc_info=True)
    # A linear scan: a hostile file full of openings without an end costs one pass, not one per
    # opening.
    at = 0
    while len(packets) < _XMP_PACKETS_LIMIT:
        start = data.find(b"<x:xmpmeta", at)
        end = data.find(b"</x:xmpmeta>", start) if start != -1 else -1
        if end == -1:
            break
        at = end + len(b"</x:xmpmeta>")
        packets.append(data[start:at])
    return packets


def _xmp_marker(packet: bytes) -> AiMarker | None:
    start = packet.find(b"<x:xmpmeta")
    end = packet.rfind(b"</x:xmpmeta>")
    body = packet[start : end + len(b"</x:xmpmeta>")] if start != -1 and end != -1 else packet
    try:
        # Python's expat (2.4.1 or newer) refuses entity-expansion bombs, and ElementTree never
        # fetches external entities, so parsing untrusted XMP here is safe.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        return None
    name = f"{{{IPTC_EXT_NS}}}DigitalSourceType"
    for element in root.iter():
        values = [element.attrib.get(name)]
        if element.tag == name:
            values += [element.text, element.attrib.get(f"{{{RDF_NS}}}resource")]
        for value in values:
            if value and short_term(value) in AI_SOURCE_TERMS:
                return AiMarker("xmp", value.strip())
    return None


def inspect_image(data: bytes, mime: str, *, trust_anchors: str | None = None) -> Inspection:
    """One read of an image: its manifest's summary (None without one) and its AI marker (None
    without one). Never raises."""
    summary: dict[str, Any] | None = None
    marker: AiMarker | None = None
    try:
        store = _read_store(data, mime, trust_anchors)
        if store.json is not None:
            summary = _summary(store.json, store.state)
            marker = _c2pa_marker(store.json)
        elif store.error:
            summary = _unreadable(store.error)
        if marker is None:
            marker = next((m for m in map(_xmp_marker, _xmp_packets(data)) if m is not None), None)
    except Exception:  # hostile input must never fail an upload
        log.warning("could not read an image's provenance", exc_info=True)
        summary = summary or _unreadable("The manifest could not be read")
    return Inspection(summary, marker)


def read_summary(data: bytes, mime: str, *, trust_anchors: str | None = None) -> dict[str, Any] | None:
    """A compact summary of the image's C2PA manifest for the API, or None when it has none.
    ``trust_anchors`` (PEM) are the roots whose signatures read as "Trusted". Never raises."""
    return inspect_image(data, mime, trust_anchors=trust_anchors).summary


def detect_ai_marker(data: bytes, mime: str) -> AiMarker | None:
    """Whether the image says it is AI-made: a C2PA manifest whose lineage states a
    trained-algorithmic digital source type, or an IPTC ``Iptc4xmpExt:DigitalSourceType`` marker
    with one in its XMP. Never raises."""
    return inspect_image(data, mime).marker
