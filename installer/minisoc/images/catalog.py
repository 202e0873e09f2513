"""The images minisoc builds itself: names, tags, build contexts and the artifacts each context needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from minisoc import __version__
from minisoc.images.maven import MavenArtifact, parse_jar_lock
from minisoc.resources import stacks_dir

OPENSEARCH_VERSION = "2.19.4"
SECURITY_PLUGIN_VERSION = "2.19.4.0"
# Also a tag of the official apache/kafka image (the default in stacks/images.yaml): one template, two images.
KAFKA_VERSION = "4.1.1"
KAFKA_JAR_LOCK = "kafka/image/jars.lock"  # relative to stacks/
BASE_IMAGE = "debian:bookworm-slim"
LOCAL_IMAGE_PREFIX = "minisoc/"
CONTEXT_LABEL = "io.minisoc.context-digest"

OPENSEARCH_ZIP = MavenArtifact(
    "org.opensearch.distribution.integ-test-zip", "opensearch", OPENSEARCH_VERSION, "zip"
)
SECURITY_PLUGIN_ZIP = MavenArtifact(
    "org.opensearch.plugin", "opensearch-security", SECURITY_PLUGIN_VERSION, "zip"
)
# The integ-test zip has no analysis modules; the log template's searchable forms (retro-hunt on the cluster)
# need analysis-common's tokenizers and filters, which every full OpenSearch distribution has as a module.
ANALYSIS_COMMON_JAR = MavenArtifact("org.opensearch.plugin", "analysis-common", OPENSEARCH_VERSION, "jar")


@dataclass(frozen=True)
class ImageSpec:
    """One image: its tag, the stacks/ folder holding its Dockerfile, and what its context must hold."""

    service: str
    tag: str
    context: str  # relative to the packaged stacks/ folder
    build_args: dict[str, str] = field(default_factory=dict)
    artifacts: tuple[MavenArtifact, ...] = ()
    needs_wheelhouse: bool = False


def opensearch_image() -> ImageSpec:
    return ImageSpec(
        service="opensearch",
        tag=f"{LOCAL_IMAGE_PREFIX}opensearch:{OPENSEARCH_VERSION}",
        context="opensearch/image",
        build_args={
            "OPENSEARCH_VERSION": OPENSEARCH_VERSION,
            "SECURITY_PLUGIN_VERSION": SECURITY_PLUGIN_VERSION,
        },
        artifacts=(OPENSEARCH_ZIP, SECURITY_PLUGIN_ZIP, ANALYSIS_COMMON_JAR),
    )


def kafka_jars() -> tuple[MavenArtifact, ...]:
    """kafka_2.13 and its runtime closure, pinned with sha512 in stacks/kafka/image/jars.lock."""
    lock = stacks_dir().joinpath(*KAFKA_JAR_LOCK.split("/"))
    return parse_jar_lock(lock.read_text(encoding="utf-8"))


def kafka_image() -> ImageSpec:
    """Kafka (KRaft) from Maven Central's jars on Debian's JRE, with the official image's env contract."""
    return ImageSpec(
        service="kafka",
        tag=f"{LOCAL_IMAGE_PREFIX}kafka:{KAFKA_VERSION}",
        context="kafka/image",
        build_args={"KAFKA_VERSION": KAFKA_VERSION},
        artifacts=kafka_jars(),
    )


def _built_from_repository(service: str, *, needs_wheelhouse: bool = False) -> ImageSpec:
    """An image of stacks/<service>/image, tagged with the minisoc version it is built from."""
    return ImageSpec(
        service=service,
        tag=f"{LOCAL_IMAGE_PREFIX}{service}:{__version__}",
        context=f"{service}/image",
        build_args={"MINISOC_VERSION": __version__},
        needs_wheelhouse=needs_wheelhouse,
    )


def correlator_image() -> ImageSpec:
    return _built_from_repository("correlator", needs_wheelhouse=True)


def feedserver_image() -> ImageSpec:
    return _built_from_repository("feedserver")


def syslog_image() -> ImageSpec:
    """rsyslog from Debian packages (why no upstream image is the default: docs/syslog.md)."""
    return _built_from_repository("syslog")


def netflow_image() -> ImageSpec:
    """The flow collector: pmacct's nfacctd from Debian (stacks/netflow, docs/netflow.md)."""
    return _built_from_repository("netflow")


def shipper_image() -> ImageSpec:
    """A sensor's shipper to Kafka: rsyslog imfile + omkafka from Debian (stacks/shipper, docs/shipper.md)."""
    return _built_from_repository("shipper")


def all_images() -> tuple[ImageSpec, ...]:
    """Every image minisoc can build, in build order (cheapest first, so failures show early)."""
    return (feedserver_image(), syslog_image(), netflow_image(), shipper_image(), correlator_image(),
            kafka_image(), opensearch_image())


def images_for_tags(tags: set[str]) -> tuple[ImageSpec, ...]:
    """The buildable images among `tags` (images a rendered site uses); others are pulled."""
    return tuple(spec for spec in all_images() if spec.tag in tags)
