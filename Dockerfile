FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hypercare hypercare
COPY sla sla
COPY tickets tickets
COPY triage triage
COPY metrics metrics
COPY handover handover
COPY releases releases
COPY intake intake
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "hypercare.wsgi", "--workers", "2", "--bind", "0.0.0.0:8000"]
