# Tocsin's container image, on the official slim Python image.
#
# Not built by this project's CI, whose machines cannot pull base images. Its steps are
# the ones CI does test: scripts/package.py builds the wheel from a clean copy of the
# sources and installs it into a virtual environment, exactly as
# tests/e2e/test_packaging.py does (which lends the dependencies from the development
# environment instead of fetching them from PyPI, as this build does).
#
#   docker build -t tocsin .
#   docker run -p 8000:8000 -v tocsin-data:/data -e TOCSIN_SITE_URL=http://localhost:8000 tocsin
#
# compose.yaml runs it with PostgreSQL; docs/DEPLOYMENT.md has the rest.

FROM python:3.11-slim AS build
# The build backend pyproject.toml's [build-system] names; the build runs offline with it.
RUN python -m pip install --no-cache-dir --root-user-action=ignore "setuptools>=77"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY scripts/package.py ./scripts/
RUN python scripts/package.py build /dist \
 && python scripts/package.py install /opt/tocsin /dist/tocsin-*.whl

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tocsin \
 && install -d -o tocsin -g tocsin -m 0700 /data
COPY --from=build /opt/tocsin /opt/tocsin
ENV PATH=/opt/tocsin/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TOCSIN_HOST=0.0.0.0 \
    TOCSIN_PORT=8000 \
    TOCSIN_DATABASE_URL=sqlite:////data/tocsin.db
USER tocsin
WORKDIR /data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v3/status/', timeout=4)"]
# The same two commands as everywhere else: bring the schema up to date, then serve.
CMD ["sh", "-c", "tocsin migrate && exec tocsin serve"]
