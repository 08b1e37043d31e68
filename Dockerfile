# Builds relief in a Swift image and runs it in a slim Debian with libpq.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config zlib1g-dev libxml2-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY sql sql
COPY Tests Tests
RUN swift build -c release --product relief --static-swift-stdlib \
    && mkdir /out && cp .build/release/relief /out/ && cp -r .build/release/*.resources /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libxml2 zlib1g ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app relief
WORKDIR /app
COPY --from=build /out/ /app/
USER relief
ENTRYPOINT ["/app/relief"]
CMD ["up"]
