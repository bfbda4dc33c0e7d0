#include "widgets/ImageExport.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QSvgGenerator>

namespace tb {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("ImageExport", text); }
}  // namespace

ImageKind imageKindOf(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("png") || suffix == QLatin1String("jpg") || suffix == QLatin1String("jpeg") ||
      suffix == QLatin1String("bmp"))
    return ImageKind::Raster;
  return suffix == QLatin1String("svg") ? ImageKind::Svg : ImageKind::Unknown;
}

QString unknownImageKindMessage(const QString& path) {
  return tr("Cannot export to \"%1\": use a .png or .svg file name.").arg(QFileInfo(path).fileName());
}

bool writePainting(const QString& path, QSize size, int devicePixelRatio, const QString& title,
                   const QString& description, const std::function<void(QPainter&)>& paint, QString* error) {
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  const int w = size.width(), h = size.height();
  switch (imageKindOf(path)) {
    case ImageKind::Unknown:
      return fail(unknownImageKindMessage(path));
    case ImageKind::Raster: {
      const int dpr = std::max(1, devicePixelRatio);
      QImage image(w * dpr, h * dpr, QImage::Format_ARGB32_Premultiplied);
      if (image.isNull()) return fail(tr("The image (%1 x %2 pixels) is too large to allocate.").arg(w * dpr).arg(h * dpr));
      image.setDevicePixelRatio(dpr);
      image.fill(Qt::white);
      {
        QPainter p(&image);
        paint(p);
      }
      if (!image.save(path)) return fail(tr("Could not write %1.").arg(path));
      return true;
    }
    case ImageKind::Svg: {
      QSvgGenerator svg;
      svg.setFileName(path);
      svg.setSize(QSize(w, h));
      svg.setViewBox(QRect(0, 0, w, h));
      svg.setTitle(title);
      svg.setDescription(description);
      {
        QPainter p;
        if (!p.begin(&svg)) return fail(tr("Could not write %1.").arg(path));
        paint(p);
        p.end();
      }
      const QFileInfo written(path);
      if (!written.exists() || written.size() == 0) return fail(tr("Could not write %1.").arg(path));
      return true;
    }
  }
  return false;
}

}  // namespace tb
