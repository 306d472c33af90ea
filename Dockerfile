# mhcare web / worker / beat image (docker-compose.yml). Python 3.11 on Debian, with the system
# libraries WeasyPrint needs for Chinese PDFs: Pango, HarfBuzz (+ subsetting, without which a CJK
# PDF is ~8x slower) and the Noto CJK fonts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=mhcare.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk \
        libharfbuzz-subset0 \
        libharfbuzz0b \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libfontconfig1 \
        shared-mime-info \
        gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 mhcare \
    && useradd --system --uid 10001 --gid mhcare --home-dir /home/mhcare --create-home mhcare

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt

COPY . .
# Translations and static files are built into the image. The production settings refuse to load
# without secrets, so this step gets throwaway ones that exist only for the length of this command.
RUN export SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
        FIELD_ENCRYPTION_KEYS="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
    && if find locale -name '*.po' | grep -q .; then python manage.py compilemessages -v 0; fi \
    && python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/media \
    && chown mhcare:mhcare /app/media

USER mhcare
EXPOSE 8000
CMD ["gunicorn", "mhcare.wsgi:application", "--bind=0.0.0.0:8000", "--workers=3", "--access-logfile=-"]
