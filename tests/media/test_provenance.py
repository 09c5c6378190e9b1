"""C2PA provenance: the signing identity, manifests on generated images, re-signed uploads, and
what uploads say about being AI-made. Manifests are read back with c2pa-python itself."""

from __future__ import annotations

import datetime
import io
import random
import threading
from pathlib import Path
from typing import Any

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from pixie.config import Settings
from pixie.media import processing, provenance
from pixie.media.provenance import (
    CHAIN_FILE,
    KEY_FILE,
    ROOT_FILE,
    ROOT_KEY_FILE,
    AiMarker,
    ProvenanceError,
    ProvenanceSigner,
)
from tests.media import c2pa_images, images
from tests.media.c2pa_images import COMPOSITE, GPS_ASSERTION, GPS_TEXT, TRAINED, OutsideSigner

MIMES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "var", base_url="https://pixie.test", **overrides)


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).tobytes()


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> ProvenanceSigner:
    return ProvenanceSigner.development(tmp_path_factory.mktemp("c2pa") / "dev")


@pytest.fixture(scope="module")
def outsider(tmp_path_factory: pytest.TempPathFactory) -> OutsideSigner:
    return OutsideSigner(tmp_path_factory.mktemp("camera") / "dev")


def generated(signer: ProvenanceSigner, data: bytes, mime: str, **extra: object) -> bytes:
    return signer.sign_generated(
        data,
        mime,
        provider="diffusers",
        model="stabilityai/sdxl-turbo",
        digital_source_type=TRAINED,
        instance_title="Pixie Test",
        software_version="0.1.0",
        **extra,  # type: ignore[arg-type]
    )


# --- the signing identity -----------------------------------------------------------------------


def test_the_development_chain_is_made_once_and_reused(tmp_path: Path) -> None:
    config = settings(tmp_path)
    first = provenance.signer_for(config)
    assert provenance.signer_for(config) is first  # once per process
    directory = tmp_path / "var" / "c2pa" / "dev"
    files = {
        name: (directory / name).read_bytes() for name in (CHAIN_FILE, KEY_FILE, ROOT_FILE, ROOT_KEY_FILE)
    }
    for key in (KEY_FILE, ROOT_KEY_FILE):
        assert (directory / key).stat().st_mode & 0o777 == 0o600
    # A later process (a new signer from the same settings) reads the same chain instead of a new one.
    later = ProvenanceSigner.from_settings(config)
    assert later.certificate == first.certificate
    assert {name: (directory / name).read_bytes() for name in files} == files
    assert later.trust_anchors == files[ROOT_FILE].decode()


def test_the_development_chain_has_the_shape_c2pa_validates(tmp_path: Path) -> None:
    chain_file, _ = provenance.ensure_development_chain(tmp_path / "dev", organization="Pixie pixie.test")
    leaf, root = x509.load_pem_x509_certificates(chain_file.read_bytes())
    assert leaf.issuer == root.subject and root.issuer == root.subject
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    root_usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert root_usage.key_cert_sign and root_usage.crl_sign
    constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    public_key = leaf.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"  # ES256
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest


def test_processes_starting_together_share_one_chain(tmp_path: Path) -> None:
    directory = tmp_path / "c2pa" / "dev"
    barrier = threading.Barrier(8)
    chains: list[bytes] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            chain_file, key_file = provenance.ensure_development_chain(directory)
            chains.append(chain_file.read_bytes() + key_file.read_bytes())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(chains) == 8 and len(set(chains)) == 1
    assert chains[0] == (directory / CHAIN_FILE).read_bytes() + (directory / KEY_FILE).read_bytes()
    assert [p.name for p in directory.parent.iterdir()] == ["dev"]  # no staging left behind


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "myself")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "self.pem", tmp_path / "self.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_a_configured_identity_is_used_and_a_bad_one_is_explained(tmp_path: Path) -> None:
    chain_file, key_file = provenance.ensure_development_chain(tmp_path / "issued")
    # Operators' keys often come as SEC1 ("EC PRIVATE KEY"); c2pa itself reads only PKCS#8.
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    sec1 = tmp_path / "sec1.key"
    sec1.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    configured = ProvenanceSigner.from_settings(
        settings(tmp_path, c2pa_certificate_file=chain_file, c2pa_private_key_file=sec1)
    )
    signed = generated(configured, c2pa_images.encoded("JPEG", 64), "image/jpeg")
    store, state = c2pa_images.read_store(signed, "image/jpeg")
    assert state == "Valid"
    assert c2pa_images.active(store)["signature_info"]["common_name"] == "Pixie development signer"
    assert not (tmp_path / "var" / "c2pa").exists()  # no development chain when one is configured

    with pytest.raises(ProvenanceError, match="PIXIE_C2PA_PRIVATE_KEY_FILE"):
        ProvenanceSigner.from_settings(settings(tmp_path, c2pa_certificate_file=chain_file))
    cert_file, self_key = _self_signed(tmp_path)
    with pytest.raises(ProvenanceError, match="not self-signed") as refused:
        ProvenanceSigner.from_files(cert_file, self_key)
    assert str(cert_file) in str(refused.value)
    with pytest.raises(ProvenanceError, match="does not belong"):
        ProvenanceSigner.from_files(chain_file, self_key)
    with pytest.raises(ProvenanceError, match="Cannot read"):
        ProvenanceSigner.from_files(tmp_path / "missing.pem", sec1)


# --- generated images -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_generated_image_reads_back_valid_with_its_source_type_and_model(
    signer: ProvenanceSigner, fmt: str
) -> None:
    mime = MIMES[fmt]
    data = c2pa_images.encoded(fmt, 512)
    signed = generated(signer, data, mime, training_use="notAllowed")
    assert pixels(signed) == pixels(data)
    store, state = c2pa_images.read_store(signed, mime)
    assert state == "Valid"  # an unknown root without trust anchors
    manifest = c2pa_images.active(store)
    assert manifest["claim_generator_info"][0]["name"] == "Pixie"
    created = c2pa_images.actions(manifest)[0]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED
    assert created["softwareAgent"]["name"] == "stabilityai/sdxl-turbo"
    labels = [a["label"] for a in manifest["assertions"]]
    assert not any("thumbnail" in label for label in labels)
    training = next(a for a in manifest["assertions"] if a["label"] == "cawg.training-mining")
    assert training["data"]["entries"]["cawg.ai_generative_training"] == {"use": "notAllowed"}
    # Small: no thumbnail doubles the file.
    assert len(signed) < len(data) + 20_000

    summary = provenance.read_summary(signed, mime)
    assert summary is not None
    assert summary["digital_source_type"] == "trainedAlgorithmicMedia"
    assert summary["digital_source_type_uri"] == TRAINED
    assert summary["software_agent"] == "stabilityai/sdxl-turbo"
    assert summary["claim_generator"] == "Pixie 0.1.0"
    assert summary["title"] == "Generated on Pixie Test"
    assert summary["validation_state"] == "Valid"
    assert summary["actions"] == ["c2pa.created"] and summary["ingredients"] == 0
    assert summary["parent_validation_state"] is None
    assert summary["issuer"] == "Pixie"
    assert provenance.detect_ai_marker(signed, mime) == AiMarker("c2pa", TRAINED)


def test_the_training_assertion_is_only_there_when_asked_for(signer: ProvenanceSigner) -> None:
    signed = generated(signer, c2pa_images.encoded("PNG", 64), "image/png")
    store, _ = c2pa_images.read_store(signed, "image/png")
    assert "cawg.training-mining" not in [a["label"] for a in c2pa_images.active(store)["assertions"]]


def test_an_unknown_source_type_is_refused(signer: ProvenanceSigner) -> None:
    with pytest.raises(ProvenanceError, match="not an IPTC digital source type"):
        signer.sign_generated(
            c2pa_images.encoded("PNG", 32),
            "image/png",
            provider="sketch",
            model="sketch-1",
            digital_source_type="http://example.com/madeUp",
            instance_title="Pixie",
            software_version="0.1.0",
        )


def test_the_instance_root_makes_its_own_manifests_trusted(
    signer: ProvenanceSigner, outsider: OutsideSigner
) -> None:
    signed = generated(signer, c2pa_images.encoded("JPEG", 64), "image/jpeg")
    assert signer.trust_anchors is not None
    _, state = c2pa_images.read_store(signed, "image/jpeg", trust_anchors=signer.trust_anchors)
    assert state == "Trusted"
    summary = provenance.read_summary(signed, "image/jpeg", trust_anchors=signer.trust_anchors)
    assert summary is not None and summary["validation_state"] == "Trusted"
    theirs = outsider.sign(c2pa_images.encoded("JPEG", 64), "image/jpeg")
    summary = provenance.read_summary(theirs, "image/jpeg", trust_anchors=signer.trust_anchors)
    assert summary is not None and summary["validation_state"] == "Valid"


# --- uploads ---------------------------------------------------------------------------------------


def test_a_re_signed_upload_keeps_its_chain_and_loses_its_metadata(
    signer: ProvenanceSigner, outsider: OutsideSigner
) -> None:
    upload = outsider.sign(images.jpeg(640, 480), "image/jpeg", assertions=[GPS_ASSERTION])
    assert GPS_TEXT in upload and b"PhoneMaker" in upload
    their_store, _ = c2pa_images.read_store(upload, "image/jpeg")
    processed = processing.process(upload, max_pixels=10**8).original.data
    assert provenance.read_summary(processed, "image/jpeg") is None  # the cut removed the manifest

    resigned = signer.resign_upload(
        upload, processed, "image/jpeg", instance_title="Pixie Test", software_version="0.1.0"
    )
    assert pixels(resigned) == pixels(upload)
    for secret in (GPS_TEXT, b"PhoneMaker", b"SecretEditor"):
        assert secret not in resigned
    store, state = c2pa_images.read_store(resigned, "image/jpeg")
    assert state == "Valid"
    manifest = c2pa_images.active(store)
    [parent] = manifest["ingredients"]
    assert parent["relationship"] == "parentOf"
    assert parent["active_manifest"] == their_store["active_manifest"]
    assert [a["action"] for a in c2pa_images.actions(manifest)][:2] == ["c2pa.opened", "c2pa.edited.metadata"]
    redacted = [a for a in c2pa_images.actions(manifest) if a["action"] == "c2pa.redacted"]
    assert redacted and redacted[0]["parameters"]["redacted"].endswith("/stds.exif")
    assert [a["label"] for a in store["manifests"][parent["active_manifest"]]["assertions"]] == [
        "c2pa.actions.v2"
    ]
    # The AI claim is found through the parent, and the summary says what the parent said.
    assert provenance.detect_ai_marker(resigned, "image/jpeg") == AiMarker("c2pa", TRAINED)
    summary = provenance.read_summary(resigned, "image/jpeg")
    assert summary is not None
    assert summary["digital_source_type"] == "trainedAlgorithmicMedia" and summary["ingredients"] == 1
    assert summary["validation_state"] == "Valid" and summary["parent_validation_state"] == "Valid"


def test_a_broken_manifest_taken_over_from_an_upload_is_reported_as_broken(
    signer: ProvenanceSigner, outsider: OutsideSigner
) -> None:
    # Pixels edited after signing: the upload's manifest no longer matches it. Signing it again must
    # not make it look sound.
    signed = bytearray(outsider.sign(c2pa_images.encoded("JPEG", 256), "image/jpeg"))
    signed[signed.rindex(b"\xff\xd9") - 10] ^= 0x01
    upload = bytes(signed)
    assert (summary := provenance.read_summary(upload, "image/jpeg")) is not None
    assert summary["validation_state"] == "Invalid"
    processed = processing.process(upload, max_pixels=10**8).original.data
    resigned = signer.resign_upload(
        upload, processed, "image/jpeg", instance_title="Pixie Test", software_version="0.1.0"
    )
    summary = provenance.read_summary(resigned, "image/jpeg")
    assert summary is not None
    assert summary["validation_state"] == "Valid"  # Pixie's own signature over what it stored
    assert summary["parent_validation_state"] == "Invalid"


def test_composites_count_as_ai_made_and_camera_pictures_do_not(outsider: OutsideSigner) -> None:
    data = c2pa_images.encoded("PNG", 64)
    composite = outsider.sign(
        data, "image/png", source_type=c2pa.C2paDigitalSourceType.COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    )
    assert provenance.detect_ai_marker(composite, "image/png") == AiMarker("c2pa", COMPOSITE)
    photo = outsider.sign(data, "image/png", source_type=c2pa.C2paDigitalSourceType.DIGITAL_CAPTURE)
    assert provenance.detect_ai_marker(photo, "image/png") is None
    summary = provenance.read_summary(photo, "image/png")
    assert summary is not None and summary["digital_source_type"] == "digitalCapture"


def test_an_iptc_xmp_marker_is_detected() -> None:
    for form in ("attribute", "element"):
        data = c2pa_images.jpeg_with_xmp(c2pa_images.xmp(TRAINED, form=form))
        assert provenance.detect_ai_marker(data, "image/jpeg") == AiMarker("xmp", TRAINED), form
        assert provenance.read_summary(data, "image/jpeg") is None
    compressed = c2pa_images.png_with_compressed_xmp(c2pa_images.xmp(COMPOSITE))
    assert TRAINED.encode() not in compressed and COMPOSITE.encode() not in compressed
    assert provenance.detect_ai_marker(compressed, "image/png") == AiMarker("xmp", COMPOSITE)
    camera = c2pa_images.jpeg_with_xmp(c2pa_images.xmp(c2pa_images.CAPTURE))
    assert provenance.detect_ai_marker(camera, "image/jpeg") is None
    assert provenance.detect_ai_marker(images.jpeg(), "image/jpeg") is None  # XMP without the property
    broken = c2pa_images.jpeg_with_xmp(c2pa_images.xmp(TRAINED)[:-40])
    assert provenance.detect_ai_marker(broken, "image/jpeg") is None


def test_an_image_without_provenance_has_none() -> None:
    for data, mime in (
        (images.jpeg(), "image/jpeg"),
        (images.png(), "image/png"),
        (images.gif(), "image/gif"),
    ):
        assert provenance.inspect_image(data, mime) == provenance.Inspection(None, None)


def test_hostile_input_never_raises(signer: ProvenanceSigner) -> None:
    signed = generated(signer, c2pa_images.encoded("JPEG", 128), "image/jpeg")
    start = signed.index(b"\xff\xeb")  # the manifest's JUMBF segment
    end = start + int.from_bytes(signed[start + 2 : start + 4], "big") + 2
    rnd = random.Random(7)
    variants: list[bytes] = [b"", b"c2pa", b"\xff\xd8\xff\xeb\x00\x10c2pa", rnd.randbytes(4096)]
    for i in range(150):
        mutated = bytearray(signed)
        if i % 3 == 0:
            for _ in range(rnd.randint(1, 6)):
                mutated[rnd.randrange(start, end)] = rnd.randrange(256)
        elif i % 3 == 1:
            mutated = mutated[: rnd.randrange(start, end)]
        else:
            at = rnd.randrange(start + 4, end)
            mutated[at : at + 4] = b"\xff\xff\xff\xff"
        variants.append(bytes(mutated))
    states = set()
    for data in variants:
        for mime in ("image/jpeg", "image/png"):
            summary = provenance.read_summary(data, mime)
            provenance.detect_ai_marker(data, mime)
            if summary is not None:
                states.add(summary["validation_state"])
                assert summary["validation_state"] in ("Valid", "Trusted", "Invalid")
    assert "Invalid" in states

    # Pixels changed after signing: the manifest is there, but it no longer matches the image.
    eoi = signed.rindex(b"\xff\xd9")
    tampered = bytearray(signed)
    tampered[eoi - 10] ^= 0x01
    summary = provenance.read_summary(bytes(tampered), "image/jpeg")
    assert summary is not None and summary["validation_state"] == "Invalid"
    assert summary["digital_source_type"] == "trainedAlgorithmicMedia"  # still says what it claims
